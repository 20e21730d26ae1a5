// Command githttp serves the bare repositories under -root over Git's smart HTTP
// protocol by running `git http-backend` as a CGI program, behind HTTP basic auth.
// It is part of driftless's test environment (tests/env) and only listens on loopback.
package main

import (
	"crypto/subtle"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/http/cgi"
	"os"
	"os/exec"
	"strings"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address to listen on (must be a loopback address)")
	root := flag.String("root", "", "directory holding the bare repositories (GIT_PROJECT_ROOT)")
	user := flag.String("user", "", "basic-auth user")
	passwordFile := flag.String("password-file", "", "file holding the basic-auth password")
	portFile := flag.String("port-file", "", "write the port actually bound to this file")
	flag.Parse()

	if *root == "" || *user == "" || *passwordFile == "" {
		log.Fatal("githttp: -root, -user and -password-file are required")
	}
	pw, err := os.ReadFile(*passwordFile)
	if err != nil {
		log.Fatalf("githttp: %v", err)
	}
	password := strings.TrimSpace(string(pw))

	host, _, err := net.SplitHostPort(*listen)
	if err != nil {
		log.Fatalf("githttp: bad -listen %q: %v", *listen, err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		log.Fatalf("githttp: refusing to listen on non-loopback address %q", *listen)
	}

	gitPath, err := exec.LookPath("git")
	if err != nil {
		log.Fatalf("githttp: git not found: %v", err)
	}

	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, p, ok := r.BasicAuth()
		if !ok || subtle.ConstantTimeCompare([]byte(u), []byte(*user)) != 1 ||
			subtle.ConstantTimeCompare([]byte(p), []byte(password)) != 1 {
			w.Header().Set("WWW-Authenticate", `Basic realm="driftless test git"`)
			http.Error(w, "authentication required", http.StatusUnauthorized)
			log.Printf("%s %s -> 401", r.Method, r.URL.Path)
			return
		}
		// http-backend enables receive-pack (push) only when REMOTE_USER is set.
		backend := &cgi.Handler{
			Path: gitPath,
			Args: []string{"http-backend"},
			Env: []string{
				"GIT_PROJECT_ROOT=" + *root,
				"GIT_HTTP_EXPORT_ALL=1",
				"HOME=" + os.Getenv("HOME"),
				"REMOTE_USER=" + u,
			},
		}
		log.Printf("%s %s?%s", r.Method, r.URL.Path, r.URL.RawQuery)
		backend.ServeHTTP(w, r)
	})

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatalf("githttp: %v", err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	if *portFile != "" {
		if err := os.WriteFile(*portFile, []byte(fmt.Sprintf("%d\n", port)), 0o644); err != nil {
			log.Fatalf("githttp: %v", err)
		}
	}
	log.Printf("githttp: serving %s on http://%s/", *root, ln.Addr())
	log.Fatal(http.Serve(ln, handler))
}
