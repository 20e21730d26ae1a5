// A shared object that is not a driftless plugin: no handshake symbol.
extern "C" __attribute__((visibility("default"))) int some_function() { return 42; }
