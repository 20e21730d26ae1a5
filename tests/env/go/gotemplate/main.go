// Command gotemplate evaluates Go template actions as Argo CD's ApplicationSet
// controller does (text/template with sprig's functions and missingkey=error,
// plus Argo CD's normalize), for the differential tests of driftless's
// evaluator (tests/plugins/renderer-argocd/go_template_test.cpp).
//
// Input (the file named by the only argument): "LENGTH\n" and LENGTH bytes of
// JSON, the parameters; then any number of cases, each "LENGTH\n" followed by
// LENGTH bytes of one action (the text between {{ and }}). Output (stdout),
// per case in order: "ok LENGTH\n" and the result's LENGTH bytes, or one line
// "error" when the template does not parse or does not run.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"os"
	"regexp"
	"strconv"
	"strings"
	"text/template"

	"github.com/Masterminds/sprig/v3"
)

var invalidNameChars = regexp.MustCompile("[^-a-z0-9.]")

// normalize is Argo CD's SanitizeName: lower case, [^-a-z0-9.] to '-', at
// most 253 characters, '-' and '.' trimmed from both ends.
func normalize(name string) string {
	name = invalidNameChars.ReplaceAllString(strings.ToLower(name), "-")
	if len(name) > 253 {
		name = name[:253]
	}
	return strings.Trim(name, "-.")
}

func readCase(in *bufio.Reader) ([]byte, error) {
	header, err := in.ReadString('\n')
	if err != nil {
		return nil, err
	}
	n, err := strconv.Atoi(strings.TrimSpace(header))
	if err != nil {
		return nil, fmt.Errorf("bad length %q", header)
	}
	data := make([]byte, n)
	_, err = io.ReadFull(in, data)
	return data, err
}

func main() {
	if len(os.Args) != 2 {
		log.Fatal("usage: gotemplate CASES")
	}
	file, err := os.Open(os.Args[1])
	if err != nil {
		log.Fatal(err)
	}
	in := bufio.NewReader(file)
	raw, err := readCase(in)
	if err != nil {
		log.Fatal(err)
	}
	var parameters map[string]any
	decoder := json.NewDecoder(bytes.NewReader(raw))
	decoder.UseNumber()
	if err := decoder.Decode(&parameters); err != nil {
		log.Fatal(err)
	}
	functions := sprig.TxtFuncMap()
	functions["normalize"] = normalize
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	for {
		action, err := readCase(in)
		if err == io.EOF {
			return
		}
		if err != nil {
			log.Fatal(err)
		}
		var result bytes.Buffer
		t, err := template.New("case").Option("missingkey=error").Funcs(functions).Parse("{{" + string(action) + "}}")
		if err == nil {
			err = t.Execute(&result, parameters)
		}
		if err != nil {
			fmt.Fprintln(out, "error")
			continue
		}
		fmt.Fprintf(out, "ok %d\n%s", result.Len(), result.Bytes())
	}
}
