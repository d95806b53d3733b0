/**
 * The raw-payload view of an event, with secrets removed. The rules live in core (the engine
 * applies them to what stages record too); the API uses them from here.
 */
export { REDACTED, isSecretName, redactJson, redactRawBody } from '../../core/redaction.js';
