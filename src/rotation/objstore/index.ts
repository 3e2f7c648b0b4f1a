export {
  awsAccessKeyApi,
  maskKeyId,
  type AccessKeyApi,
  type AccessKeyCredentials,
  type AccessKeyInfo,
  type AwsAccessKeyApiOptions,
} from './access-keys.js';
export {
  reconcileObjectStorage,
  keyRecordOf,
  objstoreSecretContent,
  KEY_STEPS,
  KEY_RECORDED_AFTER,
  KEY_STATE_ANNOTATION,
  KEY_ID_ANNOTATION,
  type KeyRecord,
  type KeyStep,
  type ObjstoreOptions,
  type ObjstoreReport,
} from './rotation.js';
