import { Controller } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import { GRPC_SERVICES } from '@aegis/contracts';
import { map, type Observable } from 'rxjs';
import { parseSubmit, taskHashFrom, taskViewWire, updateWire } from './task.mapper';
import type { SubmitTaskRequestWire, TaskHashRequestWire, TaskUpdateWire, TaskViewWire } from './task.wire';
import { TasksService } from './tasks.service';

const SERVICE = GRPC_SERVICES.taskIngress.service;

/** aegis.ingress.v1.TaskIngress: validates shapes and maps; TasksService decides. */
@Controller()
export class TasksController {
  constructor(private readonly tasks: TasksService) {}

  @GrpcMethod(SERVICE, 'SubmitTask')
  async submitTask(req: SubmitTaskRequestWire): Promise<{ taskHash: Buffer; status: number }> {
    const { taskHash, status } = await this.tasks.submit(parseSubmit(req));
    return { taskHash: Buffer.from(taskHash.slice(2), 'hex'), status };
  }

  @GrpcMethod(SERVICE, 'GetTask')
  async getTask(req: TaskHashRequestWire): Promise<{ task: TaskViewWire }> {
    const { task, history } = await this.tasks.get(taskHashFrom(req.taskHash));
    return { task: taskViewWire(task, history) };
  }

  @GrpcMethod(SERVICE, 'WatchTask')
  watchTask(req: TaskHashRequestWire): Observable<{ update: TaskUpdateWire }> {
    return this.tasks.watch(taskHashFrom(req.taskHash)).pipe(map((change) => ({ update: updateWire(change) })));
  }
}
