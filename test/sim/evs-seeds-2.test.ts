// Default EVS simulator runs, second half (seeds 111..220).
import { registerEvsSeeds } from './evs-seeds.ts';

registerEvsSeeds(111, 220);
