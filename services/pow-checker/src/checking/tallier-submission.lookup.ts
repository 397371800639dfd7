import { getSubmissionResponseFromGrpc, SUBMISSION_QUERY } from '@aegis/contracts';
import { fromHex } from '@aegis/protocol';
import { GrpcServiceClient, grpcStatusOf, GrpcStatus } from '@aegis/service-kit';
import type { SubmissionLookup } from './submission.lookup';

/**
 * SubmissionLookup over the tallier's SubmissionQuery.GetSubmission (AEGIS_TALLIER_URL).
 * NOT_FOUND is an answer (undefined); any other failure (tallier down, deadline) is thrown, so
 * the bus retries the verdict rather than judging it on a missing submission.
 */
export class TallierSubmissionLookup implements SubmissionLookup {
  private readonly client: GrpcServiceClient;

  constructor(
    address: string,
    private readonly timeoutMs = 5_000,
  ) {
    this.client = new GrpcServiceClient(SUBMISSION_QUERY, address);
  }

  async getSubmission(
    submissionId: string,
  ): Promise<{ submission: NonNullable<ReturnType<typeof getSubmissionResponseFromGrpc>['submission']>; disputed: boolean } | undefined> {
    let plain: object;
    try {
      plain = await this.client.unary<object>(
        'GetSubmission',
        { submissionId: Buffer.from(fromHex(submissionId, 32, 'submissionId')) },
        this.timeoutMs,
      );
    } catch (err) {
      if (grpcStatusOf(err) === GrpcStatus.NOT_FOUND) return undefined;
      throw err;
    }
    const response = getSubmissionResponseFromGrpc(plain);
    return response.submission ? { submission: response.submission, disputed: response.disputed } : undefined;
  }

  close(): void {
    this.client.close();
  }
}
