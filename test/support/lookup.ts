import { loadServerConfig } from '../../server/config.js';
import type { RankWeights } from '../../server/lookup/rank.js';

const defaults = loadServerConfig({ env: {}, flags: {} });

/** The ranking weights of a server started without --distance-weight or --load-exponent. */
export const DEFAULT_RANK_WEIGHTS: RankWeights = Object.freeze({ distanceWeight: defaults.distanceWeight, loadExponent: defaults.loadExponent });
