// Default EVS simulator runs, first half (seeds 1..110): crashes, restarts, partitions, token
// loss, stalls and packet loss under load, each run checked (design 6.6, 10.3, 10.4).
import { registerEvsSeeds } from './evs-seeds.ts';

registerEvsSeeds(1, 110);
