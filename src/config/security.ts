import { z } from 'zod';

// Owned by the mTLS/objstore work (issue 6). The stack schema imports these two sections.
export const tlsSchema = z.object({}).strict();
export const objectStorageSchema = z.object({}).strict();
export type TlsConfig = z.infer<typeof tlsSchema>;
export type ObjectStorageSettings = z.infer<typeof objectStorageSchema>;
