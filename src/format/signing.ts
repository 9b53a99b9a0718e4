/**
 * The data-signing string (guide: "Contents of the Data Signing String"; behaviour §3.8):
 * digestEndTime \n digestS3Bucket/digestS3Object \n hex(SHA-256(uncompressed digest)) \n
 * previousDigestSignature, where a null previous signature is the four letters `null`.
 */
export interface SigningFields {
  readonly digestEndTime: string;
  readonly digestS3Bucket: string;
  readonly digestS3Object: string;
  /** Lowercase hex SHA-256 of the uncompressed digest bytes exactly as stored. */
  readonly digestSha256Hex: string;
  readonly previousDigestSignature: string | null;
}

export function dataSigningString(f: SigningFields): string {
  return `${f.digestEndTime}\n${f.digestS3Bucket}/${f.digestS3Object}\n${f.digestSha256Hex}\n` + `${f.previousDigestSignature ?? 'null'}`;
}
