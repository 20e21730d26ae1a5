// githttp: a Git smart-HTTP server for the test environment (git http-backend over CGI, basic auth).
module driftless.dev/tests/env/githttp

go 1.26.0
