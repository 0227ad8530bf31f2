// 60 checked runs of the Accelerated Ring: sizes 1, 2, 3, 5, 9 x loss 0 to 20% x 3 seeds.
import { registerMatrix } from './matrix.ts';

registerMatrix([11, 12, 13], { acceleratedRing: true });
