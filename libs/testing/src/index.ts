export { waitFor } from './wait-for';
export { testDatabaseUrl, testKafkaBrokers } from './test-servers.config';
export { CaptureBus } from './capture.bus';
