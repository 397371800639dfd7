import { Controller } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import { getSubmissionResponseToGrpc, SUBMISSION_QUERY } from '@aegis/contracts';
import { toHex } from '@aegis/protocol';
import { grpcError, GrpcStatus } from '@aegis/service-kit';
import { TallierService } from '../submissions/tallier.service';

/** Request as @grpc/proto-loader hands it over (PROTO_LOADER_OPTIONS: bytes as Buffer, defaults filled). */
interface GetSubmissionRequest {
  readonly submissionId?: Uint8Array;
}

/** SubmissionQuery.GetSubmission: a submission as announced, for services that missed the topic record. */
@Controller()
export class SubmissionQueryController {
  constructor(private readonly tallier: TallierService) {}

  @GrpcMethod(SUBMISSION_QUERY.service, 'GetSubmission')
  async getSubmission(request: GetSubmissionRequest): Promise<object> {
    const id = request.submissionId;
    if (!(id instanceof Uint8Array) || id.length !== 32) throw grpcError(GrpcStatus.INVALID_ARGUMENT, 'submission_id', 'must be 32 bytes');
    const found = await this.tallier.lookup(toHex(id));
    if (!found) throw grpcError(GrpcStatus.NOT_FOUND, 'submission_id', `no submission ${toHex(id)}`);
    return getSubmissionResponseToGrpc({ submission: found.submission, disputed: found.disputed });
  }
}
