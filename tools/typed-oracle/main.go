// Command oracle renders the typed corpus's cases as Istio's injector
// would: Go's text/template over the real SidecarTemplateData (k8s.io/api,
// k8s.io/apimachinery and istio.io/api types, methods included), with
// sprig and Istio's injection functions. It reads and writes the
// conformance kit's batch format (README.md):
//
//	oracle [--batch] [IN.jsonl|-] [OUT.jsonl|-]
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"text/template"
	"time"
	"unicode/utf8"

	sprig "github.com/Masterminds/sprig/v3"
)

// batchCase is one line of the input: the kit's case, plus injit's
// `funcs` (`go`, `sprig` or `istio`, which overrides `sprig`).
type batchCase struct {
	Name         string          `json:"name"`
	Template     *string         `json:"template"`
	Data         json.RawMessage `json:"data"`
	Sprig        bool            `json:"sprig"`
	Funcs        string          `json:"funcs"`
	MissingKey   string          `json:"missingkey"`
	TemplateName string          `json:"template_name"`
	Exec         string          `json:"exec"`
	Delims       []string        `json:"delims"`
	Typed        bool            `json:"typed"`
}

// batchResult is one line of the output, as the kit's oracle writes it.
type batchResult struct {
	Name          string  `json:"name"`
	Output        *string `json:"output"`
	Error         *string `json:"error"`
	ErrorKind     *string `json:"error_kind"`
	PartialOutput *string `json:"partial_output,omitempty"`
	OutputBase64  []byte  `json:"output_base64,omitempty"`
}

func strp(s string) *string { return &s }

func failed(name, kind, err string) batchResult {
	return batchResult{Name: name, Error: strp(err), ErrorKind: strp(kind)}
}

// decodeData reads a case's data: typed into SidecarTemplateData, or as
// generic JSON (numbers float64).
func decodeData(raw []byte, typed bool) (any, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil, nil
	}
	if typed {
		return decodeTyped(raw)
	}
	var v any
	err := json.Unmarshal(raw, &v)
	return v, err
}

func functions(c *batchCase) (template.FuncMap, error) {
	set := c.Funcs
	if set == "" {
		set = "go"
		if c.Sprig {
			set = "sprig"
		}
	}
	funcs := template.FuncMap{}
	switch set {
	case "go":
	case "sprig", "istio":
		for k, v := range sprig.TxtFuncMap() {
			funcs[k] = v
		}
		if set == "istio" {
			// As Istio parses its templates: sprig, then its own functions over it.
			for k, v := range injectionFuncmap() {
				funcs[k] = v
			}
		}
	default:
		return nil, fmt.Errorf("unknown function set %q", set)
	}
	return funcs, nil
}

func render(c *batchCase) (res batchResult) {
	var out bytes.Buffer
	defer func() {
		if r := recover(); r != nil {
			res = withOutput(failed(c.Name, "panic", fmt.Sprint(r)), out.Bytes(), true)
		}
	}()
	data, err := decodeData(c.Data, c.Typed)
	if err != nil {
		return failed(c.Name, "data", err.Error())
	}
	name := c.TemplateName
	if name == "" {
		name = "t"
	}
	t := template.New(name)
	switch len(c.Delims) {
	case 0:
	case 2:
		t.Delims(c.Delims[0], c.Delims[1])
	default:
		return failed(c.Name, "option", "delims must have exactly two elements")
	}
	if c.MissingKey != "" {
		if err := setOption(t, "missingkey="+c.MissingKey); err != nil {
			return failed(c.Name, "option", err.Error())
		}
	}
	funcs, err := functions(c)
	if err != nil {
		return failed(c.Name, "option", err.Error())
	}
	t.Funcs(funcs)
	if _, err := t.Parse(*c.Template); err != nil {
		return failed(c.Name, "parse", err.Error())
	}
	if c.Exec != "" {
		err = t.ExecuteTemplate(&out, c.Exec, data)
	} else {
		err = t.Execute(&out, data)
	}
	if err != nil {
		return withOutput(failed(c.Name, "exec", err.Error()), out.Bytes(), true)
	}
	return withOutput(batchResult{Name: c.Name}, out.Bytes(), false)
}

// withOutput records what was written: as text, and byte for byte when it
// is not UTF-8.
func withOutput(r batchResult, b []byte, partial bool) batchResult {
	if partial {
		r.PartialOutput = strp(string(b))
	} else {
		r.Output = strp(string(b))
	}
	if !utf8.Valid(b) {
		r.OutputBase64 = b
	}
	return r
}

// setOption wraps Template.Option, which panics on unknown options.
func setOption(t *template.Template, opt string) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	t.Option(opt)
	return nil
}

func runOne(line []byte, lineNo int) batchResult {
	var c batchCase
	if err := json.Unmarshal(line, &c); err != nil {
		return failed(fmt.Sprintf("<line %d>", lineNo), "input", "bad case line: "+err.Error())
	}
	if c.Template == nil {
		return failed(c.Name, "input", "case has no template field")
	}
	return render(&c)
}

func runBatch(in io.Reader, out io.Writer) error {
	r := bufio.NewReaderSize(in, 1<<20)
	w := bufio.NewWriter(out)
	defer w.Flush()
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for lineNo := 1; ; lineNo++ {
		line, err := r.ReadBytes('\n')
		if len(bytes.TrimSpace(line)) != 0 {
			if e := enc.Encode(runOne(line, lineNo)); e != nil {
				return e
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

func main() {
	// metav1.Time's UnmarshalJSON converts to local time, and printing
	// shows the zone: UTC, as in Istio's containers, whatever the machine.
	time.Local = time.UTC
	flag.Bool("batch", true, "batch mode (the only mode; accepted for the kit oracle's command line)")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: oracle [--batch] [IN.jsonl|-] [OUT.jsonl|-]")
	}
	flag.Parse()
	args := flag.Args()
	if len(args) > 2 {
		flag.Usage()
		os.Exit(3)
	}
	var in io.Reader = os.Stdin
	var out io.Writer = os.Stdout
	if len(args) >= 1 && args[0] != "-" {
		f, err := os.Open(args[0])
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(3)
		}
		defer f.Close()
		in = f
	}
	if len(args) == 2 && args[1] != "-" {
		f, err := os.Create(args[1])
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(3)
		}
		defer f.Close()
		out = f
	}
	if err := runBatch(in, out); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
}
