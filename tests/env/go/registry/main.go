// Command registry is the test environment's OCI registry (tests/env): the
// in-memory registry of github.com/google/go-containerregistry/pkg/registry
// behind HTTP basic auth, on a loopback address only.
//
// Anyone may pull repositories under "public/"; every other read and every
// push needs the user and password, so tests cover both anonymous pulls and
// pulls with credentials (a HelmRepository's secretRef).
package main

import (
	"crypto/subtle"
	"flag"
	"log"
	"net"
	"net/http"
	"os"
	"strings"

	"github.com/google/go-containerregistry/pkg/registry"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address to listen on (must be a loopback address)")
	user := flag.String("user", "", "basic-auth user")
	passwordFile := flag.String("password-file", "", "file holding the basic-auth password")
	flag.Parse()

	if *user == "" || *passwordFile == "" {
		log.Fatal("registry: -user and -password-file are required")
	}
	pw, err := os.ReadFile(*passwordFile)
	if err != nil {
		log.Fatalf("registry: %v", err)
	}
	password := strings.TrimSpace(string(pw))

	host, _, err := net.SplitHostPort(*listen)
	if err != nil {
		log.Fatalf("registry: bad -listen %q: %v", *listen, err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		log.Fatalf("registry: refusing to listen on non-loopback address %q", *listen)
	}

	backend := registry.New(registry.Logger(log.New(os.Stderr, "", log.LstdFlags)))
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		anonymous := (r.Method == http.MethodGet || r.Method == http.MethodHead) &&
			(r.URL.Path == "/v2/" || strings.HasPrefix(r.URL.Path, "/v2/public/"))
		u, p, ok := r.BasicAuth()
		authenticated := ok && subtle.ConstantTimeCompare([]byte(u), []byte(*user)) == 1 &&
			subtle.ConstantTimeCompare([]byte(p), []byte(password)) == 1
		if !anonymous && !authenticated {
			w.Header().Set("WWW-Authenticate", `Basic realm="driftless test registry"`)
			http.Error(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`, http.StatusUnauthorized)
			log.Printf("%s %s -> 401", r.Method, r.URL.Path)
			return
		}
		backend.ServeHTTP(w, r)
	})

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatalf("registry: %v", err)
	}
	log.Printf("registry: serving on http://%s/", ln.Addr())
	log.Fatal(http.Serve(ln, handler))
}
