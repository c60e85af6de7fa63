// File errors as users read them live in core (every command that writes files uses them).
export { errorCode, fileError } from '../core/file-errors.js';
