// Command harness renders Istio's sidecar template with Go's text/template,
// sprig and Istio's template functions over SidecarTemplateData, as
// Istio's injector does (template.New("inject").Funcs(sprig).Funcs(Istio's)),
// for side-by-side figures with injit (bench/istio.sh).
//
//	harness [-bench N] TEMPLATE DATA.json
//
// It writes the rendered text to standard output; with -bench it also
// executes N more times and prints exec_ns_per_op to standard error.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"text/template"
	"time"

	"github.com/Masterminds/sprig/v3"
)

func main() {
	bench := flag.Int("bench", 0, "execute N times and print the time per execution")
	flag.Parse()
	if flag.NArg() != 2 {
		fmt.Fprintln(os.Stderr, "usage: harness [-bench N] TEMPLATE DATA.json")
		os.Exit(2)
	}
	source, err := os.ReadFile(flag.Arg(0))
	check(err)
	raw, err := os.ReadFile(flag.Arg(1))
	check(err)
	var data SidecarTemplateData
	decoder := json.NewDecoder(bytes.NewReader(raw))
	check(decoder.Decode(&data))
	t, err := template.New("inject").Funcs(sprig.TxtFuncMap()).Funcs(injectionFuncmap()).Parse(string(source))
	check(err)
	var out bytes.Buffer
	check(t.Execute(&out, &data))
	os.Stdout.Write(out.Bytes())
	if *bench > 0 {
		start := time.Now()
		for i := 0; i < *bench; i++ {
			out.Reset()
			check(t.Execute(&out, &data))
		}
		fmt.Fprintf(os.Stderr, "exec_ns_per_op=%d output_bytes=%d iterations=%d\n",
			time.Since(start).Nanoseconds()/int64(*bench), out.Len(), *bench)
	}
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
