import { type DynamicModule, Module, type OnApplicationShutdown } from '@nestjs/common';
import { EXPLORER_OPTIONS } from './explorer.constants';
import { ExplorerController } from './explorer.controller';
import { ExplorerRepository } from './explorer.repository';
import { TokenizerCatalog } from './explorer.text';

@Module({})
export class ExplorerModule implements OnApplicationShutdown {
  constructor(private readonly repository: ExplorerRepository) {}

  static forRoot(repository: ExplorerRepository, tokenizers: TokenizerCatalog, refreshMs: number): DynamicModule {
    return {
      module: ExplorerModule,
      controllers: [ExplorerController],
      providers: [
        { provide: ExplorerRepository, useValue: repository },
        { provide: TokenizerCatalog, useValue: tokenizers },
        { provide: EXPLORER_OPTIONS, useValue: { refreshMs } },
      ],
    };
  }

  // After the HTTP server closed: no request can still be reading.
  async onApplicationShutdown(): Promise<void> {
    await this.repository.close();
  }
}
