export { buildProgram } from './program';
export { printJsonResult, progress } from './output';
