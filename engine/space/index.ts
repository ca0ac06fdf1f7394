// The search space around a teacher: operators, candidates, encoding, reward, random candidates.
export { buildSearchSpace, sampleAction, mutateAction, applyAction, sampleCandidate, DEFAULT_P1_CHOICES, DEFAULT_P3_CHOICES } from './space';
export type { Action, SearchSpace, SearchSpaceOptions } from './space';
export type { ShrinkGroup } from './groups';
export { candidateKey } from './key';
export { encodeArchitecture, decodeRow, encodingWidth, ENCODING_TYPES, ENCODING_ATTRIBUTES, DEFAULT_EDGE_WINDOW } from './encoding';
export type { EncodedArchitecture, EncodingOptions, DecodedRow, EncodingType } from './encoding';
export { reward, compression } from './reward';
export type { Measured } from './reward';
export { drawCandidates } from './draw';
export type { DrawnCandidate } from './draw';
