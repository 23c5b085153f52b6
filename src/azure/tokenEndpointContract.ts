// The contract between the editor's token endpoint (src/azure/tokenEndpoint.ts) and the embedded Python
// package's Azure credential. Tasks started on this machine get short-lived Azure tokens from the account
// the editor signed in with, without `az login`; both sides code against these names and shapes only.
//
// Environment given to each task process:
//   METAFLOW_STUDIO_AZURE_TOKEN_ENDPOINT  full URL of the token route, e.g. "http://127.0.0.1:53117/token"
//                                         (always 127.0.0.1, a random port, plain http: it never leaves the machine)
//   METAFLOW_STUDIO_AZURE_TOKEN_SECRET    a random per-run secret (base64url, 43 chars); never print or log it
//
// Request (one scope per request, as azure-identity's get_token passes them):
//   GET <endpoint>?scope=<scope>[&scope=<scope>...][&tenant=<tenant id>]
//   header  X-Metaflow-Studio-Token-Secret: <secret>
//   e.g. scope=https://storage.azure.com/.default  or  scope=https://vault.azure.net/.default
//
// Responses (always application/json):
//   200 {"access_token": "<jwt>", "expires_on": <integer epoch seconds>, "token_type": "Bearer"}
//   400 {"error": "invalid_request",        "message": "..."}  no scope, bad scope, or an unsupported method/path
//   401 {"error": "unauthorized",           "message": "..."}  missing or wrong secret header
//   503 {"error": "credential_unavailable", "message": "..."}  no credential source gave a token; the message lists
//        each source tried, why it failed and what to do next (sign in through "Metaflow: Sign in to Azure", `az login`,
//        AZURE_* environment variables). A Python client should raise it as a credential error with that message.
//
// The endpoint answers from the editor's cached credential chain; a caller may ask again whenever its token has
// less than five minutes left. When the variables are absent, the Python side falls back to DefaultAzureCredential.

export const TOKEN_ENDPOINT_ENV = 'METAFLOW_STUDIO_AZURE_TOKEN_ENDPOINT';
export const TOKEN_SECRET_ENV = 'METAFLOW_STUDIO_AZURE_TOKEN_SECRET';
export const TOKEN_SECRET_HEADER = 'X-Metaflow-Studio-Token-Secret';
export const TOKEN_ROUTE = '/token';

export interface TokenEndpointResponse {
  access_token: string;
  /** Seconds since the Unix epoch, as azure-identity's AccessToken.expires_on. */
  expires_on: number;
  token_type: 'Bearer';
}

export type TokenEndpointErrorCode = 'invalid_request' | 'unauthorized' | 'credential_unavailable';

export interface TokenEndpointError {
  error: TokenEndpointErrorCode;
  message: string;
}
