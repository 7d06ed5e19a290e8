#!/bin/sh
# As in AWS's Lambda images: the one argument is the handler. Outside Lambda (no
# AWS_LAMBDA_RUNTIME_API) the Runtime Interface Emulator runs the bootstrap and serves invokes on :8080.
if [ $# -ne 1 ]; then
  echo "lambda-entrypoint.sh: expected one argument, the handler (e.g. dist/lambda.handler)" >&2
  exit 142
fi
export _HANDLER="$1"
if [ -z "${AWS_LAMBDA_RUNTIME_API:-}" ]; then
  exec /usr/local/bin/aws-lambda-rie /var/runtime/bootstrap
fi
exec /var/runtime/bootstrap
