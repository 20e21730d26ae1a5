// Command kubeyaml reads YAML manifests exactly as kubectl reads them, for the
// differential tests of driftless's YAML reader and writer (tests/sdk).
//
// It is kubectl's own reading code: cli-runtime's resource builder in local
// mode with unstructured objects and List flattening — the path of
// `kubectl apply -f` and `kubectl annotate --local -f` — which splits the
// stream with apimachinery's YAMLOrJSONDecoder (documents separated by
// "---" lines, each converted by sigs.k8s.io/yaml) and decodes every
// document with the unstructured JSON scheme (int64 when an integer fits,
// float64 otherwise).
//
// Input (the file named by the only argument, or stdin): any number of cases, each "LENGTH\n" followed by LENGTH
// bytes of YAML. Output (stdout): one JSON line per case, in order:
// {"objects":[...]} with the objects kubectl would send, or {"error":"..."}
// when kubectl refuses the file. Keys are sorted (encoding/json), so the
// output is canonical.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"os"
	"strconv"
	"strings"

	"k8s.io/cli-runtime/pkg/resource"
)

// read is what kubectl makes of one manifest file: {"objects": [...]} or {"error": "..."}.
func read(manifest []byte) map[string]interface{} {
	infos, err := resource.NewLocalBuilder().Unstructured().Stream(bytes.NewReader(manifest), "case").Flatten().Do().Infos()
	if err != nil {
		return map[string]interface{}{"error": err.Error()}
	}
	objects := []json.RawMessage{}
	for _, info := range infos {
		object, err := json.Marshal(info.Object) // what kubectl prints and sends
		if err != nil {
			return map[string]interface{}{"error": err.Error()}
		}
		objects = append(objects, object)
	}
	return map[string]interface{}{"objects": objects}
}

func main() {
	input := os.Stdin
	if len(os.Args) == 2 {
		file, err := os.Open(os.Args[1])
		if err != nil {
			log.Fatalf("kubeyaml: %v", err)
		}
		defer file.Close()
		input = file
	}
	in := bufio.NewReader(input)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	encoder := json.NewEncoder(out)
	encoder.SetEscapeHTML(false)
	for {
		header, err := in.ReadString('\n')
		if err == io.EOF && header == "" {
			return
		}
		if err != nil {
			log.Fatalf("kubeyaml: reading a case header: %v", err)
		}
		length, err := strconv.Atoi(strings.TrimSpace(header))
		if err != nil || length < 0 {
			log.Fatalf("kubeyaml: bad case header %q", header)
		}
		manifest := make([]byte, length)
		if _, err := io.ReadFull(in, manifest); err != nil {
			log.Fatalf("kubeyaml: a case of %d bytes is cut short: %v", length, err)
		}
		if err := encoder.Encode(read(manifest)); err != nil {
			fmt.Fprintf(os.Stderr, "kubeyaml: %v\n", err)
			os.Exit(1)
		}
	}
}
