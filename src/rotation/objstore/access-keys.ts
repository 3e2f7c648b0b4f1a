import {
  CreateAccessKeyCommand,
  DeleteAccessKeyCommand,
  IAMClient,
  ListAccessKeysCommand,
  NoSuchEntityException,
} from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';

export interface AccessKeyInfo {
  accessKeyId: string;
  status: string;
  createDate: Date;
}

export interface AccessKeyCredentials {
  accessKeyId: string;
  secretAccessKey: string;
}

/** The IAM operations of the two-key rotation; an interface so the Lambda and CLI share one implementation. */
export interface AccessKeyApi {
  list(userName: string): Promise<AccessKeyInfo[]>;
  create(userName: string): Promise<AccessKeyCredentials & { createDate: Date }>;
  /** Returns false when the key was already gone. */
  delete(userName: string, accessKeyId: string): Promise<boolean>;
  /** Proves the key authenticates (STS GetCallerIdentity needs no IAM permission). */
  verify(credentials: AccessKeyCredentials): Promise<void>;
}

/** Access key ids are not secret, but logs show only their ends: enough to match them in the IAM console. */
export function maskKeyId(accessKeyId: string): string {
  return accessKeyId.length <= 8 ? '****' : `${accessKeyId.slice(0, 4)}…${accessKeyId.slice(-4)}`;
}

export interface AwsAccessKeyApiOptions {
  /** Region for STS verification (IAM itself is global). */
  region: string;
  iam?: IAMClient;
  /** New IAM keys take a few seconds to work everywhere: retry verification this many times. */
  verifyAttempts?: number;
  verifyDelayMs?: number;
}

/** AccessKeyApi over @aws-sdk/client-iam and client-sts; honours AWS_ENDPOINT_URL_IAM / AWS_ENDPOINT_URL_STS. */
export function awsAccessKeyApi(options: AwsAccessKeyApiOptions): AccessKeyApi {
  const iam = options.iam ?? new IAMClient({ region: 'us-east-1' });
  return {
    async list(userName) {
      const keys: AccessKeyInfo[] = [];
      let marker: string | undefined;
      do {
        const page = await iam.send(
          new ListAccessKeysCommand({ UserName: userName, ...(marker ? { Marker: marker } : {}) }),
        );
        for (const key of page.AccessKeyMetadata ?? []) {
          if (key.AccessKeyId)
            keys.push({
              accessKeyId: key.AccessKeyId,
              status: key.Status ?? 'Active',
              createDate: key.CreateDate ?? new Date(0),
            });
        }
        marker = page.IsTruncated ? page.Marker : undefined;
      } while (marker);
      return keys;
    },
    async create(userName) {
      const result = await iam.send(new CreateAccessKeyCommand({ UserName: userName }));
      const key = result.AccessKey;
      if (!key?.AccessKeyId || !key.SecretAccessKey)
        throw new Error(`IAM CreateAccessKey for user ${userName} returned no key`);
      return {
        accessKeyId: key.AccessKeyId,
        secretAccessKey: key.SecretAccessKey,
        createDate: key.CreateDate ?? new Date(),
      };
    },
    async delete(userName, accessKeyId) {
      try {
        await iam.send(new DeleteAccessKeyCommand({ UserName: userName, AccessKeyId: accessKeyId }));
        return true;
      } catch (error) {
        if (error instanceof NoSuchEntityException) return false;
        throw error;
      }
    },
    async verify(credentials) {
      const attempts = options.verifyAttempts ?? 10;
      let last: unknown;
      for (let attempt = 1; attempt <= attempts; attempt++) {
        const sts = new STSClient({ region: options.region, credentials, maxAttempts: 1 });
        try {
          await sts.send(new GetCallerIdentityCommand({}));
          return;
        } catch (error) {
          last = error;
          if (attempt < attempts)
            await new Promise((resolve) => setTimeout(resolve, (options.verifyDelayMs ?? 2000) * attempt));
        } finally {
          sts.destroy();
        }
      }
      const reason = last instanceof Error ? `${last.name}: ${last.message}` : String(last);
      throw new Error(
        `the new access key ${maskKeyId(credentials.accessKeyId)} does not authenticate (STS GetCallerIdentity: ${reason}); run rotate again (it resumes here)`,
      );
    },
  };
}
