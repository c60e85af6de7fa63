// Moved to src/protocols/opcua/ (iiot replay --to opcua trusts the local client the same way).
export { trustLocalClient } from '../protocols/opcua/local-client-trust.js';
