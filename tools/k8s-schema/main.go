// Command k8s-schema writes the Go types a sidecar template can reach as
// tables of Go field names, JSON names, types and `omitempty`: the
// Kubernetes objects (a pod's ObjectMeta and PodSpec, TypeMeta,
// NamespacedName, the workload controllers, everything their fields lead
// to), Istio's MeshConfig and ProxyConfig messages, and the template data
// structs in templatedata/.
//
//	go run . API_DIR APIMACHINERY_DIR ISTIO_API_DIR ISTIO_API_1.1_DIR OPENSHIFT_API_DIR
//
// The directories are checkouts of k8s.io/api, k8s.io/apimachinery,
// istio.io/api (at a recent commit and at its 1.1.0 tag) and
// github.com/openshift/api; the header records their commits. Run it
// through run.sh, which checks the commits against the pinned ones, formats
// the output with rustfmt, fills in the header's checksums and writes
// runtime/src/types/go_types.rs (README.md).
package main

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
)

// A package we read: its import path's short key and its files.
type pkg struct {
	key   string // "corev1"
	name  string // Go package name, as %T prints it: "v1"
	dir   string
	files []string
}

// Types whose JSON and printing are their own (custom marshalers): the
// runtime implements them by name.
var special = map[string]bool{
	"resource.Quantity":      true,
	"intstr.IntOrString":     true,
	"metav1.Time":            true,
	"metav1.MicroTime":       true,
	"metav1.Duration":        true,
	"metav1.FieldsV1":        true,
	"durationpb.Duration":    true,
	"structpb.Struct":        true,
	"wrapperspb.BoolValue":   true,
	"wrapperspb.Int32Value":  true,
	"wrapperspb.UInt32Value": true,
	"wrapperspb.Int64Value":  true,
	"wrapperspb.UInt64Value": true,
	"wrapperspb.DoubleValue": true,
	"wrapperspb.FloatValue":  true,
	"wrapperspb.StringValue": true,
}

type field struct {
	goName    string
	jsonName  string // the key in the data (protobuf JSON name for messages)
	tagName   string // encoding/json's name
	ty        string // a type expression, rendered below
	omitEmpty bool
	omitZero  bool
	inline    bool
	oneof     bool // a oneof member: only its getter reaches it
}

// oneofMembers finds the wrapper structs of a oneof of message `key`
// (`Tracing_Zipkin_ struct { Zipkin *Tracing_Zipkin ... oneof }`), in
// declaration order, as getter-only fields of the message.
func (g *generator) oneofMembers(key, in string) []field {
	prefix := key + "_"
	var names []string
	for k := range g.decls {
		if strings.HasPrefix(k, prefix) && !strings.Contains(k[len(prefix):], "_") || strings.HasPrefix(k, prefix) && strings.HasSuffix(k, "_") {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	var out []field
	for _, k := range names {
		st, ok := g.decls[k].Type.(*ast.StructType)
		if !ok || len(st.Fields.List) != 1 || st.Fields.List[0].Tag == nil {
			continue
		}
		f := st.Fields.List[0]
		raw, _ := strconv.Unquote(f.Tag.Value)
		pb := reflect.StructTag(raw).Get("protobuf")
		if !strings.Contains(pb, ",oneof") || len(f.Names) != 1 {
			continue
		}
		jsonName := ""
		for _, part := range strings.Split(pb, ",") {
			if strings.HasPrefix(part, "json=") {
				jsonName = part[5:]
			} else if strings.HasPrefix(part, "name=") && jsonName == "" {
				jsonName = part[5:]
			}
		}
		out = append(out, field{goName: f.Names[0].Name, jsonName: jsonName, tagName: "", ty: g.typeString(in, f.Type), oneof: true})
	}
	return out
}

type def struct {
	key        string // "corev1.Container"
	display    string // "v1.Container"
	fields     []field
	underlying string // for named non-struct types
	special    bool
	opaque     bool     // a type from a package we do not read
	proto      bool     // a protobuf message: nil-safe GetX getters
	enum       []string // value names of a protobuf enum, by number
}

type generator struct {
	enums  map[string][]string          // "meshconfig.X" -> names by number
	pkgs   map[string]*pkg              // key -> pkg
	decls  map[string]*ast.TypeSpec     // "corev1.Container" -> spec
	imps   map[string]map[string]string // file pkg key -> import name -> pkg key
	defs   map[string]*def
	order  []string
	tyExpr map[string]int
	tys    []string
	// "metav1.ObjectMeta" -> method -> field: methods whose whole body
	// returns a field of their receiver (`GetName` of metav1.Object).
	getters map[string]map[string]string
	// "corev1.Container" -> its go-to-protobuf `String()`, as Rust.
	stringers map[string]string
}

func must(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func commit(dir string) string {
	out, err := exec.Command("git", "-C", dir, "log", "-1", "--format=%H %cs").Output()
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(out))
}

func main() {
	if len(os.Args) != 6 {
		fmt.Fprintln(os.Stderr, "usage: k8s-schema API_DIR APIMACHINERY_DIR ISTIO_API_DIR ISTIO_API_1.1_DIR OPENSHIFT_API_DIR")
		os.Exit(2)
	}
	api, machinery, istio, istio11, openshift := os.Args[1], os.Args[2], os.Args[3], os.Args[4], os.Args[5]
	_ = istio11
	g := &generator{enums: map[string][]string{}, pkgs: map[string]*pkg{}, decls: map[string]*ast.TypeSpec{}, imps: map[string]map[string]string{}, defs: map[string]*def{}, tyExpr: map[string]int{}, getters: map[string]map[string]string{}, stringers: map[string]string{}}
	g.add(&pkg{key: "corev1", name: "v1", dir: filepath.Join(api, "core/v1"), files: []string{"types.go"}})
	g.add(&pkg{key: "metav1", name: "v1", dir: filepath.Join(machinery, "pkg/apis/meta/v1"), files: []string{"types.go", "time.go", "micro_time.go", "duration.go", "meta.go"}})
	g.add(&pkg{key: "appsv1", name: "v1", dir: filepath.Join(api, "apps/v1"), files: []string{"types.go"}})
	g.add(&pkg{key: "batchv1", name: "v1", dir: filepath.Join(api, "batch/v1"), files: []string{"types.go"}})
	g.add(&pkg{key: "resource", name: "resource", dir: filepath.Join(machinery, "pkg/api/resource"), files: []string{"quantity.go"}})
	g.add(&pkg{key: "intstr", name: "intstr", dir: filepath.Join(machinery, "pkg/util/intstr"), files: []string{"intstr.go"}})
	g.add(&pkg{key: "types", name: "types", dir: filepath.Join(machinery, "pkg/types"), files: []string{"namespacedname.go", "uid.go", "nodename.go"}})
	g.add(&pkg{key: "meshconfig", name: "v1alpha1", dir: filepath.Join(istio, "mesh/v1alpha1"), files: []string{"proxy.pb.go", "config.pb.go", "network.pb.go"}})
	g.add(&pkg{key: "networkingv1alpha3", name: "v1alpha3", dir: filepath.Join(istio, "networking/v1alpha3"), files: []string{"destination_rule.pb.go", "virtual_service.pb.go"}})
	g.add(&pkg{key: "networkingv1beta1", name: "v1beta1", dir: filepath.Join(istio, "networking/v1beta1"), files: []string{"proxy_config.pb.go"}})
	g.add(&pkg{key: "meshconfig11", name: "v1alpha1", dir: filepath.Join(istio11, "mesh/v1alpha1"), files: []string{"proxy.pb.go", "config.pb.go", "network.pb.go"}})
	g.add(&pkg{key: "openshiftappsv1", name: "v1", dir: filepath.Join(openshift, "apps/v1"), files: []string{"types.go"}})
	g.add(&pkg{key: "inject", name: "inject", dir: "templatedata", files: []string{"data.go"}})
	for key, dir := range map[string]string{
		"corev1": filepath.Join(api, "core/v1"), "metav1": filepath.Join(machinery, "pkg/apis/meta/v1"),
		"appsv1": filepath.Join(api, "apps/v1"), "batchv1": filepath.Join(api, "batch/v1"),
		"openshiftappsv1": filepath.Join(openshift, "apps/v1"),
	} {
		g.readStringers(key, filepath.Join(dir, "generated.pb.go"))
	}
	for _, root := range []string{"corev1.Pod", "corev1.PodSpec", "metav1.ObjectMeta", "metav1.TypeMeta", "types.NamespacedName", "corev1.ResourceList", "corev1.PodSecurityContext", "inject.SidecarTemplateData", "inject.GatewayTemplateData", "inject.LegacySidecarTemplateData", "inject.SidecarInjectionSpec", "metav1.ListMeta",
		"appsv1.Deployment", "appsv1.DaemonSet", "appsv1.ReplicaSet", "appsv1.StatefulSet",
		"batchv1.Job", "batchv1.CronJob", "corev1.ReplicationController", "corev1.PodTemplateSpec", "openshiftappsv1.DeploymentConfig"} {
		g.reach(root)
	}
	g.write(commit(api), commit(machinery), commit(istio)+"; 1.1.0 "+commit(istio11), commit(openshift))
}

var importKeys = map[string]string{
	"github.com/golang/protobuf/ptypes/duration":        "durationpb",
	"github.com/gogo/protobuf/types":                    "gogotypes",
	"google.golang.org/protobuf/types/known/durationpb": "durationpb",
	"github.com/golang/protobuf/ptypes/wrappers":        "wrapperspb",
	"google.golang.org/protobuf/types/known/wrapperspb": "wrapperspb",
	"github.com/golang/protobuf/ptypes/struct":          "structpb",
	"google.golang.org/protobuf/types/known/structpb":   "structpb",
	"istio.io/api/mesh/v1alpha1":                        "meshconfig",
	"istio.io/api/mesh/v1alpha1@1.1.0":                  "meshconfig11",
	"istio.io/api/networking/v1alpha3":                  "networkingv1alpha3",
	"istio.io/api/networking/v1beta1":                   "networkingv1beta1",
	"istio.io/api/type/v1beta1":                         "typev1beta1",
	"k8s.io/api/core/v1":                                "corev1",
	"k8s.io/api/apps/v1":                                "appsv1",
	"github.com/openshift/api/apps/v1":                  "openshiftappsv1",
	"k8s.io/api/batch/v1":                               "batchv1",
	"k8s.io/apimachinery/pkg/apis/meta/v1":              "metav1",
	"k8s.io/apimachinery/pkg/api/resource":              "resource",
	"k8s.io/apimachinery/pkg/util/intstr":               "intstr",
	"k8s.io/apimachinery/pkg/types":                     "types",
}

func (g *generator) add(p *pkg) {
	g.pkgs[p.key] = p
	fset := token.NewFileSet()
	for _, name := range p.files {
		f, err := parser.ParseFile(fset, filepath.Join(p.dir, name), nil, parser.ParseComments)
		must(err)
		imports := map[string]string{}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			key, ok := importKeys[path]
			if !ok {
				continue
			}
			local := filepath.Base(path)
			if imp.Name != nil {
				local = imp.Name.Name
			}
			imports[local] = key
		}
		g.imps[p.key] = mergeImports(g.imps[p.key], imports)
		for _, decl := range f.Decls {
			if fd, ok := decl.(*ast.FuncDecl); ok {
				g.readGetter(p.key, fd)
				continue
			}
			gd, ok := decl.(*ast.GenDecl)
			if ok && gd.Tok == token.VAR {
				g.readEnumNames(p.key, gd)
			}
			if !ok || gd.Tok != token.TYPE {
				continue
			}
			for _, spec := range gd.Specs {
				ts := spec.(*ast.TypeSpec)
				g.decls[p.key+"."+ts.Name.Name] = ts
			}
		}
	}
}

// readGetter records an exported method with no parameters whose body is
// `return recv.Field` (metav1.Object's getters: `GetName`, `GetLabels`...):
// a template calls it as it reads the field.
func (g *generator) readGetter(key string, fd *ast.FuncDecl) {
	if fd.Recv == nil || len(fd.Recv.List) != 1 || len(fd.Recv.List[0].Names) != 1 || !fd.Name.IsExported() ||
		fd.Type.Params.NumFields() != 0 || fd.Type.Results.NumFields() != 1 || fd.Body == nil || len(fd.Body.List) != 1 {
		return
	}
	recvType := fd.Recv.List[0].Type
	if star, ok := recvType.(*ast.StarExpr); ok {
		recvType = star.X
	}
	typeName, ok := recvType.(*ast.Ident)
	if !ok {
		return
	}
	ret, ok := fd.Body.List[0].(*ast.ReturnStmt)
	if !ok || len(ret.Results) != 1 {
		return
	}
	sel, ok := ret.Results[0].(*ast.SelectorExpr)
	if !ok {
		return
	}
	if recv, ok := sel.X.(*ast.Ident); !ok || recv.Name != fd.Recv.List[0].Names[0].Name {
		return
	}
	owner := key + "." + typeName.Name
	if g.getters[owner] == nil {
		g.getters[owner] = map[string]string{}
	}
	g.getters[owner][fd.Name.Name] = sel.Sel.Name
}

// readStringers reads the `String()` methods go-to-protobuf generates
// (`&Container{Name:app,Image:...,}`) and records each as a
// ProtoString: the text before the fields, then per field its label and
// how the field's value is shown. Every shape the generator writes is
// one of a few; any other stops this program, so that a new one is seen.
func (g *generator) readStringers(key, file string) {
	f, err := parser.ParseFile(token.NewFileSet(), file, nil, 0)
	must(err)
	for _, decl := range f.Decls {
		fd, ok := decl.(*ast.FuncDecl)
		if !ok || fd.Name.Name != "String" || fd.Recv == nil || fd.Body == nil {
			continue
		}
		star, ok := fd.Recv.List[0].Type.(*ast.StarExpr)
		if !ok {
			continue
		}
		owner := key + "." + star.X.(*ast.Ident).Name
		g.stringers[owner] = stringerProgram(owner, fd.Body)
	}
}

func unquote(e ast.Expr) string {
	lit, ok := e.(*ast.BasicLit)
	if !ok {
		return "\x00"
	}
	s, err := strconv.Unquote(lit.Value)
	must(err)
	return s
}

func fail(owner string, n ast.Node) {
	fmt.Fprintf(os.Stderr, "k8s-schema: %s.String: a form not understood: %#v\n", owner, n)
	os.Exit(1)
}

// isCall reports whether e calls pkg.name (or name, for pkg ""), giving its arguments.
func isCall(e ast.Expr, pkg, name string) ([]ast.Expr, bool) {
	call, ok := e.(*ast.CallExpr)
	if !ok {
		return nil, false
	}
	switch fn := call.Fun.(type) {
	case *ast.SelectorExpr:
		if x, ok := fn.X.(*ast.Ident); ok && x.Name == pkg && fn.Sel.Name == name {
			return call.Args, true
		}
	case *ast.Ident:
		if pkg == "" && fn.Name == name {
			return call.Args, true
		}
	}
	return nil, false
}

// thisField names the field of `this.Field`.
func thisField(owner string, e ast.Expr) string {
	sel, ok := e.(*ast.SelectorExpr)
	if !ok {
		fail(owner, e)
	}
	if x, ok := sel.X.(*ast.Ident); !ok || x.Name != "this" {
		fail(owner, e)
	}
	return sel.Sel.Name
}

// replaced peels `strings.Replace(strings.Replace(X, old, new, 1), "&", "", 1)`:
// X, the renaming (old, new) if any, and whether the first `&` is removed.
func replaced(e ast.Expr) (inner ast.Expr, rename []string, stripAmp bool) {
	inner = e
	if args, ok := isCall(inner, "strings", "Replace"); ok && unquote(args[1]) == "&" && unquote(args[2]) == "" {
		inner, stripAmp = args[0], true
	}
	if args, ok := isCall(inner, "strings", "Replace"); ok {
		inner, rename = args[0], []string{unquote(args[1]), unquote(args[2])}
	}
	return inner, rename, stripAmp
}

func rustRename(rename []string) string {
	if rename == nil || rename[0] == rename[1] {
		return "None"
	}
	return fmt.Sprintf("Some((%q, %q))", rename[0], rename[1])
}

// stringerProgram translates one generated String() body.
func stringerProgram(owner string, body *ast.BlockStmt) string {
	// The loops before the join build `repeatedStringForX` and `mapStringForX`.
	lists := map[string]string{}
	var parts []string
	head := ""
	for _, stmt := range body.List {
		switch st := stmt.(type) {
		case *ast.AssignStmt:
			name := st.Lhs[0].(*ast.Ident).Name
			switch {
			case strings.HasPrefix(name, "repeatedStringFor") && st.Tok == token.DEFINE:
				lists[name] = fmt.Sprintf("Repeated { open: %q, each: EACH }", unquote(st.Rhs[0]))
			case strings.HasPrefix(name, "mapStringFor") && st.Tok == token.DEFINE:
				lists[name] = fmt.Sprintf("Map { open: %q }", unquote(st.Rhs[0]))
			case name == "s":
				args, ok := isCall(st.Rhs[0], "strings", "Join")
				if !ok {
					fail(owner, st)
				}
				elts := args[0].(*ast.CompositeLit).Elts
				head = unquote(elts[0])
				if unquote(elts[len(elts)-1]) != "}" {
					fail(owner, st)
				}
				for _, elt := range elts[1 : len(elts)-1] {
					parts = append(parts, stringerPart(owner, elt, lists))
				}
			}
		case *ast.RangeStmt:
			// `for _, f := range this.X { repeatedStringForX += <each> + "," }`
			if len(st.Body.List) != 1 {
				continue
			}
			as, ok := st.Body.List[0].(*ast.AssignStmt)
			if !ok || as.Tok != token.ADD_ASSIGN {
				continue
			}
			name := as.Lhs[0].(*ast.Ident).Name
			if !strings.HasPrefix(name, "repeatedStringFor") {
				continue
			}
			sum := as.Rhs[0].(*ast.BinaryExpr)
			inner, rename, strip := replaced(sum.X)
			each := ""
			if _, ok := isCall(inner, "fmt", "Sprintf"); ok {
				each = "Each::Value"
			} else if call, ok := inner.(*ast.CallExpr); ok && call.Fun.(*ast.SelectorExpr).Sel.Name == "String" && strip {
				each = fmt.Sprintf("Each::Message { rename: %s }", rustRename(rename))
			} else {
				fail(owner, as)
			}
			lists[name] = strings.Replace(lists[name], "EACH", each, 1)
		}
	}
	if head == "" {
		fail(owner, body)
	}
	return fmt.Sprintf("ProtoString { owner: %q, head: %q, parts: &[%s] }", owner, head, strings.Join(parts, ", "))
}

// stringerPart translates `Label: + <how the field shows> + ","`.
func stringerPart(owner string, elt ast.Expr, lists map[string]string) string {
	outer, ok := elt.(*ast.BinaryExpr)
	if !ok || unquote(outer.Y) != "," {
		fail(owner, elt)
	}
	inner := outer.X.(*ast.BinaryExpr)
	label := unquote(inner.X)
	expr := inner.Y
	field, how := "", ""
	if id, ok := expr.(*ast.Ident); ok {
		list, ok := lists[id.Name]
		if !ok || strings.Contains(list, "EACH") {
			fail(owner, expr)
		}
		field = strings.TrimPrefix(strings.TrimPrefix(id.Name, "repeatedStringFor"), "mapStringFor")
		how = "Show::" + list
	} else if args, ok := isCall(expr, "", "valueToStringGenerated"); ok {
		field, how = thisField(owner, args[0]), "Show::PointedTo"
	} else {
		x, rename, strip := replaced(expr)
		if args, ok := isCall(x, "fmt", "Sprintf"); ok && unquote(args[0]) == "%v" {
			field = thisField(owner, args[1])
			how = fmt.Sprintf("Show::Value { rename: %s, strip_amp: %v }", rustRename(rename), strip)
		} else if call, ok := x.(*ast.CallExpr); ok {
			sel := call.Fun.(*ast.SelectorExpr)
			if sel.Sel.Name != "String" || rename == nil {
				fail(owner, expr)
			}
			field = thisField(owner, sel.X)
			how = fmt.Sprintf("Show::Message { rename: %s, strip_amp: %v }", rustRename(rename), strip)
		} else {
			fail(owner, expr)
		}
	}
	return fmt.Sprintf("Part { label: %q, field: %q, show: %s }", label, field, how)
}

// readEnumNames records `X_name = map[int32]string{0: "A", ...}`.
func (g *generator) readEnumNames(key string, gd *ast.GenDecl) {
	for _, spec := range gd.Specs {
		vs := spec.(*ast.ValueSpec)
		for i, name := range vs.Names {
			if !strings.HasSuffix(name.Name, "_name") || i >= len(vs.Values) {
				continue
			}
			lit, ok := vs.Values[i].(*ast.CompositeLit)
			if !ok {
				continue
			}
			names := map[int]string{}
			max := -1
			for _, elt := range lit.Elts {
				kv := elt.(*ast.KeyValueExpr)
				n, _ := strconv.Atoi(kv.Key.(*ast.BasicLit).Value)
				v, _ := strconv.Unquote(kv.Value.(*ast.BasicLit).Value)
				names[n] = v
				if n > max {
					max = n
				}
			}
			list := make([]string, max+1)
			for n, v := range names {
				list[n] = v
			}
			g.enums[key+"."+strings.TrimSuffix(name.Name, "_name")] = list
		}
	}
}

func mergeImports(a, b map[string]string) map[string]string {
	if a == nil {
		a = map[string]string{}
	}
	for k, v := range b {
		a[k] = v
	}
	return a
}

// qualify turns an identifier used in package `in` into a type key.
func (g *generator) qualify(in string, e ast.Expr) string {
	switch t := e.(type) {
	case *ast.Ident:
		switch t.Name {
		case "string", "bool", "int", "int32", "int64", "uint", "uint32", "uint64", "float32", "float64", "byte":
			return t.Name
		case "any":
			return "interface{}"
		}
		return in + "." + t.Name
	case *ast.SelectorExpr:
		pkgName := t.X.(*ast.Ident).Name
		key, ok := g.imps[in][pkgName]
		if key == "gogotypes" {
			// gogo's well-known types behave as golang/protobuf's.
			switch t.Sel.Name {
			case "Duration":
				return "durationpb.Duration"
			case "BoolValue", "Int32Value", "UInt32Value", "Int64Value", "UInt64Value", "DoubleValue", "FloatValue", "StringValue":
				return "wrapperspb." + t.Sel.Name
			case "Struct":
				return "structpb.Struct"
			}
		}
		if !ok {
			// A package we do not read: its types stay opaque.
			otherPackageNames[pkgName] = pkgName
			return pkgName + "." + t.Sel.Name
		}
		return key + "." + t.Sel.Name
	}
	return "?"
}

// typeString renders a type expression with qualified names, reaching
// every named type it mentions.
func (g *generator) typeString(in string, e ast.Expr) string {
	switch t := e.(type) {
	case *ast.StarExpr:
		return "*" + g.typeString(in, t.X)
	case *ast.ArrayType:
		if t.Len != nil {
			return "?array"
		}
		return "[]" + g.typeString(in, t.Elt)
	case *ast.MapType:
		return "map[" + g.typeString(in, t.Key) + "]" + g.typeString(in, t.Value)
	case *ast.InterfaceType:
		return "interface{}"
	default:
		q := g.qualify(in, e)
		if strings.Contains(q, ".") && !strings.HasPrefix(q, "?") {
			g.reach(q)
		}
		return q
	}
}

// Go package names of packages referred to but not read.
var otherPackageNames = map[string]string{"durationpb": "durationpb", "wrapperspb": "wrapperspb", "structpb": "structpb", "typev1beta1": "v1beta1"}

func (g *generator) display(key string) string {
	dot := strings.Index(key, ".")
	if p, ok := g.pkgs[key[:dot]]; ok {
		return p.name + key[dot:]
	}
	if name, ok := otherPackageNames[key[:dot]]; ok {
		return name + key[dot:]
	}
	return key
}

func (g *generator) reach(key string) {
	if _, done := g.defs[key]; done {
		return
	}
	d := &def{key: key, display: g.display(key)}
	g.defs[key] = d
	g.order = append(g.order, key)
	if special[key] {
		d.special = true
		return
	}
	ts, ok := g.decls[key]
	if !ok {
		// A package we do not read: the type is opaque to templates.
		d.opaque = true
		return
	}
	if names, ok := g.enums[key]; ok {
		d.enum = names
	}
	in := key[:strings.Index(key, ".")]
	st, isStruct := ts.Type.(*ast.StructType)
	if !isStruct {
		d.underlying = g.typeString(in, ts.Type)
		return
	}
	// Generated protobuf messages (not Kubernetes types, which carry
	// protobuf tags too) start with `state protoimpl.MessageState`.
	for _, f := range st.Fields.List {
		if sel, ok := f.Type.(*ast.SelectorExpr); ok && sel.Sel.Name == "MessageState" {
			d.proto = true
		}
		for _, n := range f.Names {
			if strings.HasPrefix(n.Name, "XXX_") {
				d.proto = true // gogo-generated
			}
		}
	}
	hasOneof := false
	for _, f := range st.Fields.List {
		tag, pbJSON := "", ""
		if f.Tag != nil {
			raw, _ := strconv.Unquote(f.Tag.Value)
			tag = reflect.StructTag(raw).Get("json")
			if reflect.StructTag(raw).Get("protobuf_oneof") != "" {
				// A oneof: an interface over wrapper structs. Its members
				// become fields reachable only through their getters (all
				// of a message's oneofs at the first).
				if !hasOneof {
					d.fields = append(d.fields, g.oneofMembers(key, in)...)
					hasOneof = true
				}
				continue
			}
			if pb := reflect.StructTag(raw).Get("protobuf"); pb != "" && d.proto {
				for _, part := range strings.Split(pb, ",") {
					if strings.HasPrefix(part, "json=") {
						pbJSON = part[5:]
					} else if strings.HasPrefix(part, "name=") && pbJSON == "" {
						pbJSON = part[5:]
					}
				}
			}
		}
		if tag == "-" {
			continue
		}
		parts := strings.Split(tag, ",")
		omit, zero, inline := false, false, false
		for _, opt := range parts[1:] {
			omit = omit || opt == "omitempty"
			// omitzero (Go 1.24) leaves out zero values, structs included.
			zero = zero || opt == "omitzero"
			inline = inline || opt == "inline"
		}
		ty := g.typeString(in, f.Type)
		if len(f.Names) == 0 {
			// An embedded struct: its fields are promoted; JSON inlines it.
			name := ty[strings.LastIndex(ty, ".")+1:]
			d.fields = append(d.fields, field{goName: name, jsonName: parts[0], tagName: parts[0], ty: ty, omitEmpty: omit, omitZero: zero, inline: true})
			continue
		}
		for _, n := range f.Names {
			if !n.IsExported() {
				continue
			}
			json := parts[0]
			if json == "" {
				json = n.Name
			}
			key := json
			if pbJSON != "" {
				key = pbJSON
			}
			d.fields = append(d.fields, field{goName: n.Name, jsonName: key, tagName: json, ty: ty, omitEmpty: omit, omitZero: zero, inline: inline})
		}
	}
}

// ty interns a type expression, returning its index in TYS.
func (g *generator) ty(s string) int {
	if i, ok := g.tyExpr[s]; ok {
		return i
	}
	var rendered string
	switch {
	case strings.HasPrefix(s, "*"):
		rendered = fmt.Sprintf("Ty::Ptr(%d)", g.ty(s[1:]))
	case strings.HasPrefix(s, "[]"):
		rendered = fmt.Sprintf("Ty::Slice(%d)", g.ty(s[2:]))
	case strings.HasPrefix(s, "map["):
		depth, end := 0, 0
		for i := 4; i < len(s); i++ {
			if s[i] == '[' {
				depth++
			} else if s[i] == ']' {
				if depth == 0 {
					end = i
					break
				}
				depth--
			}
		}
		rendered = fmt.Sprintf("Ty::Map(%d, %d)", g.ty(s[4:end]), g.ty(s[end+1:]))
	case s == "interface{}":
		rendered = "Ty::Any"
	case strings.Contains(s, "."):
		rendered = fmt.Sprintf("Ty::Named(%d)", g.defIndex(s))
	default:
		basic := map[string]string{"string": "String", "bool": "Bool", "int": "Int", "int32": "Int32", "int64": "Int64", "uint": "Uint", "uint32": "Uint32", "uint64": "Uint64", "float32": "Float32", "float64": "Float64", "byte": "Uint8"}[s]
		if basic == "" {
			fmt.Fprintln(os.Stderr, "unsupported type", s)
			os.Exit(1)
		}
		rendered = "Ty::Basic(Basic::" + basic + ")"
	}
	g.tys = append(g.tys, rendered)
	g.tyExpr[s] = len(g.tys) - 1
	return len(g.tys) - 1
}

var defIndexes map[string]int

func (g *generator) defIndex(key string) int {
	i, ok := defIndexes[key]
	if !ok {
		fmt.Fprintln(os.Stderr, "unreached type", key)
		os.Exit(1)
	}
	return i
}

func (g *generator) write(apiCommit, machineryCommit, istioCommit, openshiftCommit string) {
	sort.Strings(g.order)
	defIndexes = map[string]int{}
	for i, key := range g.order {
		defIndexes[key] = i
	}
	// Every named type, and a pointer to it, has a type expression: roots
	// are looked up by name, and methods return pointers (`Cpu()`).
	for _, key := range g.order {
		g.ty("*" + key)
	}
	var defs, fields, enumNames []string
	for _, key := range g.order {
		d := g.defs[key]
		switch {
		case d.special:
			defs = append(defs, fmt.Sprintf("    Def { key: %q, name: %q, kind: DefKind::Special },", d.key, d.display))
		case d.opaque:
			defs = append(defs, fmt.Sprintf("    Def { key: %q, name: %q, kind: DefKind::Opaque },", d.key, d.display))
		case d.enum != nil:
			start := len(enumNames)
			for _, n := range d.enum {
				enumNames = append(enumNames, fmt.Sprintf("    %q,", n))
			}
			defs = append(defs, fmt.Sprintf("    Def { key: %q, name: %q, kind: DefKind::Enum(%d, %d) },", d.key, d.display, start, len(enumNames)))
		case d.underlying != "":
			defs = append(defs, fmt.Sprintf("    Def { key: %q, name: %q, kind: DefKind::Named(%d) },", d.key, d.display, g.ty(d.underlying)))
		default:
			start := len(fields)
			for _, f := range d.fields {
				fields = append(fields, fmt.Sprintf("    Field { go: %q, json: %q, tag: %q, ty: %d, omit_empty: %v, omit_zero: %v, inline: %v, oneof: %v },", f.goName, f.jsonName, f.tagName, g.ty(f.ty), f.omitEmpty, f.omitZero, f.inline, f.oneof))
			}
			kind := "Struct"
			if d.proto {
				kind = "Message"
			}
			defs = append(defs, fmt.Sprintf("    Def { key: %q, name: %q, kind: DefKind::%s(%d, %d) },", d.key, d.display, kind, start, len(fields)))
		}
	}
	fmt.Println("// @generated by tools/k8s-schema/run.sh (from checkouts at these commits); do not edit.")
	fmt.Printf("// k8s.io/api %s\n", apiCommit)
	fmt.Printf("// k8s.io/apimachinery %s\n", machineryCommit)
	fmt.Printf("// istio.io/api %s\n", istioCommit)
	fmt.Printf("// github.com/openshift/api %s\n", openshiftCommit)
	// run.sh fills these in (tools/generated.sh stamp).
	fmt.Println("// Checksums of this generator (tools/k8s-schema but its *.md) and of the")
	fmt.Println("// rest of this file; `tools/generated.sh check` verifies both:")
	fmt.Println("// generator-sha256: -")
	fmt.Println("// body-sha256: -")
	fmt.Println("//")
	fmt.Println("// Named types by Go key (sorted), their fields in declaration order, and")
	fmt.Println("// the type expressions fields use (indexes into TYS).")
	fmt.Println()
	fmt.Println("use super::proto_string::{Each, Part, ProtoString, Show};")
	fmt.Println("use super::{Basic, Def, DefKind, Field, Ty};")
	fmt.Println()
	fmt.Println("pub(crate) static ENUM_NAMES: &[&str] = &[")
	fmt.Println(strings.Join(enumNames, "\n"))
	fmt.Println("];")
	fmt.Println()
	fmt.Println("pub(crate) static DEFS: &[Def] = &[")
	fmt.Println(strings.Join(defs, "\n"))
	fmt.Println("];")
	fmt.Println()
	fmt.Println("pub(crate) static FIELDS: &[Field] = &[")
	fmt.Println(strings.Join(fields, "\n"))
	fmt.Println("];")
	fmt.Println()
	fmt.Println("/// Methods that return a field of their receiver, by receiver type key")
	fmt.Println("/// then method name: (type, method, Go field name).")
	fmt.Println("pub(crate) static GETTERS: &[(&str, &str, &str)] = &[")
	for _, key := range g.order {
		if g.defs[key].special || g.defs[key].opaque || g.defs[key].fields == nil {
			continue
		}
		methods := make([]string, 0, len(g.getters[key]))
		for m := range g.getters[key] {
			methods = append(methods, m)
		}
		sort.Strings(methods)
		for _, m := range methods {
			fmt.Printf("    (%q, %q, %q),\n", key, m, g.getters[key][m])
		}
	}
	fmt.Println("];")
	fmt.Println()
	fmt.Println("/// go-to-protobuf's `String()` of each type that has one, by type key.")
	fmt.Println("pub(crate) static STRINGERS: &[ProtoString] = &[")
	for _, key := range g.order {
		if program, ok := g.stringers[key]; ok && !g.defs[key].special {
			fmt.Printf("    %s,\n", program)
		}
	}
	fmt.Println("];")
	fmt.Println()
	fmt.Println("pub(crate) static TYS: &[Ty] = &[")
	for _, t := range g.tys {
		fmt.Printf("    %s,\n", t)
	}
	fmt.Println("];")
}
