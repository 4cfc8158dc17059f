/** Fault injection and rate-limit building blocks shared by the destination emulators. */
export { FAULT_KINDS, faultProfileSchema, parseFaultProfile, pickFault, type FaultKind, type FaultProfile } from './profile';
export { BucketMap, TokenBucket } from './limiter';
export { HeldConnections } from './http';
