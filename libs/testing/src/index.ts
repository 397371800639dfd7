export { waitFor } from './wait-for';
export { testDatabaseUrl, testKafkaBrokers } from './test-servers.config';
export { CaptureBus } from './capture.bus';
export { ServiceFleet, type FleetMember, type ServiceFleetOptions } from './service-fleet';
export { freezeTestBroker, testBrokerPid, testServer } from './test-servers.control';
