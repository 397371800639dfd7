/**
 * The testing library's one reader of the environment.
 *
 * Where the integration tests find the servers that deploy/local/postgres.sh and kafka.sh start.
 * The same variables move the scripts and the tests together (e.g. a second checkout on other
 * ports): AEGIS_PG_PORT / AEGIS_KAFKA_PORT, or full overrides AEGIS_TEST_DATABASE_URL /
 * AEGIS_TEST_KAFKA_BROKERS.
 */
export function testDatabaseUrl(): string {
  return process.env.AEGIS_TEST_DATABASE_URL ?? `postgres://postgres@127.0.0.1:${process.env.AEGIS_PG_PORT ?? '54329'}/aegis`;
}

export function testKafkaBrokers(): string[] {
  const list = process.env.AEGIS_TEST_KAFKA_BROKERS ?? `127.0.0.1:${process.env.AEGIS_KAFKA_PORT ?? '19092'}`;
  return list.split(',').map((b) => b.trim());
}

/**
 * What a service process the tests spawn inherits from this one: PATH and HOME only, so it runs
 * on exactly the variables it is given, as in a pod.
 */
export function inheritedProcessEnv(): { PATH: string; HOME: string } {
  return { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' };
}
