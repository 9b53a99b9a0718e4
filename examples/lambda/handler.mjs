// The function's entry point: trailproof's handler, one `trailproof sign` run per invocation.
// Deploy with the package installed (npm install --omit=dev trailproof) and the key store's public
// records (KMS-registered keys) in ./keys; template.yaml schedules it hourly.
export { handler } from 'trailproof/lambda';
