export { awsAccessKeyApi, maskKeyId, type AccessKeyApi, type AccessKeyCredentials, type AccessKeyInfo, type AwsAccessKeyApiOptions } from './access-keys.js';
export { reconcileObjectStorage, KEY_STEPS, KEY_STATE_ANNOTATION, KEY_ID_ANNOTATION, type KeyStep, type ObjstoreOptions, type ObjstoreReport } from './rotation.js';
export { objstoreConfigYaml } from '../../render/security.js';
