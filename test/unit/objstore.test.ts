import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { objectStorageSchema } from '../../src/config/tls-objstore-schema.js';
import { maskKeyId } from '../../src/rotation/objstore/index.js';
import { objstoreConfigYaml } from '../../src/render/tls-objstore-overlay.js';

/** The keys thanos-io/objstore's S3 config accepts (it parses strictly: anything else is an error). */
const S3_CONFIG_KEYS = new Set([
  'bucket',
  'endpoint',
  'region',
  'aws_sdk_auth',
  'access_key',
  'secret_key',
  'session_token',
  'insecure',
  'signature_version2',
  'put_user_metadata',
  'http_config',
  'trace',
  'list_objects_version',
  'bucket_lookup_type',
  'send_content_md5',
  'disable_multipart',
  'part_size',
  'sse_config',
  'sts_endpoint',
  'max_retries',
]);

const store = objectStorageSchema.parse({
  type: 'S3',
  bucket: 'metrics',
  endpoint: 's3.eu-west-1.amazonaws.com',
  region: 'eu-west-1',
});

describe('objstore config file', () => {
  it('holds only keys Thanos accepts; no keys at all with IRSA (minio-go then uses the web identity token)', () => {
    const config = parse(objstoreConfigYaml(store)) as {
      type: string;
      config: Record<string, unknown>;
      prefix: string;
    };
    expect(Object.keys(config).sort()).toEqual(['config', 'prefix', 'type']);
    expect(config.type).toBe('S3');
    for (const key of Object.keys(config.config)) expect(S3_CONFIG_KEYS.has(key)).toBe(true);
    expect(config.config).toEqual({ bucket: 'metrics', endpoint: 's3.eu-west-1.amazonaws.com', region: 'eu-west-1' });
  });

  it('writes access and secret key together, quoted so any character survives', () => {
    const credentials = { accessKeyId: 'AKIAEXAMPLE00000001', secretAccessKey: 'a/b+c: #d"e' };
    const text = objstoreConfigYaml({ ...store, prefix: 'env: prod' }, credentials);
    const config = parse(text) as { config: Record<string, unknown>; prefix: string };
    expect(config.config.access_key).toBe(credentials.accessKeyId);
    expect(config.config.secret_key).toBe(credentials.secretAccessKey);
    expect(config.prefix).toBe('env: prod');
  });

  it('defaults to IRSA mode and validates the role ARN', () => {
    expect(store.mode).toBe('irsa');
    expect(
      objectStorageSchema.safeParse({ ...store, irsaRoleArn: 'arn:aws:iam::123456789012:role/path/thanos' }).success,
    ).toBe(true);
    expect(objectStorageSchema.safeParse({ ...store, type: 'GCS' }).success).toBe(false);
  });
});

describe('access key ids in logs', () => {
  it('shows only the ends', () => {
    expect(maskKeyId('AKIAIOSFODNN7EXAMPLE')).toBe('AKIA…MPLE');
    expect(maskKeyId('short')).toBe('****');
  });
});
