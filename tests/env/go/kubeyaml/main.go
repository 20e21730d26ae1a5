// Command kubeyaml reads YAML manifests exactly as kubectl reads them, for the
// differential tests of driftless's YAML reader and writer
// (tests/sdk/yaml_kubernetes_test.cpp).
//
// It is kubectl's own reading code: cli-runtime's resource builder in local
// mode with unstructured objects and List flattening — the path of
// `kubectl apply -f` and `kubectl annotate --local -f` — which splits the
// stream with apimachinery's YAMLOrJSONDecoder (documents separated by
// "---" lines, each converted by sigs.k8s.io/yaml, or a stream of JSON
// objects) and decodes every document with the unstructured JSON scheme
// (int64 when an integer fits, float64 otherwise).
//
// Input (the file named by the only argument, or stdin): any number of cases,
// each "LENGTH\n" followed by LENGTH bytes of YAML. Output (stdout), per case
// in order: "objects N" and then N lines, each one object as kubectl prints
// it (encoding/json, keys sorted, numbers as kubectl writes them, HTML
// characters not escaped); or one line "error MESSAGE" when kubectl refuses
// the file.
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

// canonical is an object as kubectl prints it, without escaping <, > and &.
func canonical(object []byte) ([]byte, error) {
	decoder := json.NewDecoder(bytes.NewReader(object))
	decoder.UseNumber() // keep each number's text as kubectl wrote it
	var generic interface{}
	if err := decoder.Decode(&generic); err != nil {
		return nil, err
	}
	var out bytes.Buffer
	encoder := json.NewEncoder(&out)
	encoder.SetEscapeHTML(false)
	if err := encoder.Encode(generic); err != nil {
		return nil, err
	}
	return bytes.TrimRight(out.Bytes(), "\n"), nil
}

// read is what kubectl makes of one manifest file: its objects, or an error.
func read(manifest []byte) ([][]byte, error) {
	infos, err := resource.NewLocalBuilder().Unstructured().Stream(bytes.NewReader(manifest), "case").Flatten().Do().Infos()
	if err != nil {
		return nil, err
	}
	var objects [][]byte
	for _, info := range infos {
		object, err := json.Marshal(info.Object) // what kubectl prints and sends
		if err == nil {
			object, err = canonical(object)
		}
		if err != nil {
			return nil, err
		}
		objects = append(objects, object)
	}
	return objects, nil
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
		objects, err := read(manifest)
		if err != nil {
			fmt.Fprintf(out, "error %s\n", strings.ReplaceAll(err.Error(), "\n", " "))
			continue
		}
		fmt.Fprintf(out, "objects %d\n", len(objects))
		for _, object := range objects {
			out.Write(object)
			out.WriteByte('\n')
		}
	}
}
