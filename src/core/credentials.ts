/**
 * Where passwords come from, for every protocol and command: never argv (it ends up in shell
 * history and process lists), but an environment variable, a file (--password-file) or a prompt.
 */

/** The environment variable a password is read from unless --password-env names another. */
export const PASSWORD_ENV = 'IIOT_PASSWORD';
