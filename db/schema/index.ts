export * from './auth';
export * from './detection';
export * from './stream';
export * from './notify';
export * from './annotations';
