// stashflow-temporal: the local stack's Temporal dev server. One process runs a real Temporal server
// (go.temporal.io/server, every service in-process, SQLite persistence in one FILE so workflows survive a
// restart) and the Temporal Web UI (github.com/temporalio/ui-server/v2, assets embedded).
//
//	stashflow-temporal serve --db FILE [--ip 127.0.0.1] [--port 7233] [--ui-port 8233] [--metrics-address HOST:PORT]
//	                         [--log-level warn]
//	                         [--namespace NAME]... [--retention 72h] [--search-attribute Name=Type]...
//	stashflow-temporal health [--address 127.0.0.1:7233] [--namespace default] [--ui-url URL]
//	                          [--search-attribute Name=Type]...
//
// Start-up is idempotent: the schema is created only when the database file does not exist yet (in a temp
// file renamed into place, so a crash never leaves a half-made database), namespaces are created when missing,
// and after the server is up the wanted search attributes and retention are reconciled through the real
// operator/workflow APIs (so a search attribute added to the list later is registered on the next start).
// Written for this project; the temporal CLI's dev server (MIT) was read as a model.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	uiserver "github.com/temporalio/ui-server/v2/server"
	uiconfig "github.com/temporalio/ui-server/v2/server/config"
	uiserveroptions "github.com/temporalio/ui-server/v2/server/server_options"
	enumspb "go.temporal.io/api/enums/v1"
	namespacepb "go.temporal.io/api/namespace/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/server/chasm/lib/activity"
	"go.temporal.io/server/common/authorization"
	"go.temporal.io/server/common/cluster"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/dynamicconfig"
	"go.temporal.io/server/common/headers"
	"go.temporal.io/server/common/log"
	"go.temporal.io/server/common/log/tag"
	"go.temporal.io/server/common/membership/static"
	"go.temporal.io/server/common/metrics"
	sqliteplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/sqlite"
	"go.temporal.io/server/common/primitives"
	sqliteschema "go.temporal.io/server/schema/sqlite"
	"go.temporal.io/server/temporal"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/protobuf/types/known/durationpb"
)

const clusterName = "active"

// multiFlag is a repeatable string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: stashflow-temporal serve|health [flags] (-h for flags)")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "serve":
		err = serve(os.Args[2:])
	case "health":
		err = health(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q (want serve or health)", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "stashflow-temporal:", err)
		os.Exit(1)
	}
}

// ---------------------------------------------------------------------------------------------------- serve

type serveOptions struct {
	db            string
	ip            string
	port          int
	httpPort      int
	uiPort        int
	metricsAddr   string
	logLevel      string
	logFormat     string
	namespaces    []string
	retention     time.Duration
	searchAttrs   map[string]enumspb.IndexedValueType
	pragmas       map[string]string
	dynamicConfig map[string]any
}

func serve(args []string) error {
	fs := flag.NewFlagSet("serve", flag.ExitOnError)
	var o serveOptions
	var namespaces, searchAttrs, pragmas, dynConf multiFlag
	fs.StringVar(&o.db, "db", "", "SQLite database file (created with its schema when missing; required)")
	fs.StringVar(&o.ip, "ip", "127.0.0.1", "IP every service binds to")
	fs.IntVar(&o.port, "port", 7233, "frontend gRPC port")
	fs.IntVar(&o.httpPort, "http-port", 0, "frontend HTTP API port (0: a free port)")
	fs.IntVar(&o.uiPort, "ui-port", 8233, "Web UI port (0: no UI)")
	fs.StringVar(&o.metricsAddr, "metrics-address", "", "host:port serving the server's Prometheus metrics at /metrics (empty: none)")
	fs.StringVar(&o.logLevel, "log-level", "warn", "server log level: debug|info|warn|error")
	fs.StringVar(&o.logFormat, "log-format", "json", "server log format: json|console")
	fs.Var(&namespaces, "namespace", "extra namespace to create (repeatable; 'default' always exists)")
	fs.DurationVar(&o.retention, "retention", 72*time.Hour, "workflow retention of the namespaces")
	fs.Var(&searchAttrs, "search-attribute", "custom search attribute Name=Type to register on every namespace (repeatable)")
	fs.Var(&pragmas, "sqlite-pragma", "SQLite pragma key=value (repeatable)")
	fs.Var(&dynConf, "dynamic-config-value", "dynamic config key=JSON value (repeatable)")
	_ = fs.Parse(args)
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	if o.db == "" {
		return errors.New("--db is required")
	}
	o.namespaces = []string{"default"}
	for _, ns := range namespaces {
		if ns != "default" {
			o.namespaces = append(o.namespaces, ns)
		}
	}
	var err error
	if o.searchAttrs, err = parseSearchAttributes(searchAttrs); err != nil {
		return err
	}
	if o.pragmas, err = parseKeyValues(pragmas); err != nil {
		return fmt.Errorf("--sqlite-pragma: %w", err)
	}
	kv, err := parseKeyValues(dynConf)
	if err != nil {
		return fmt.Errorf("--dynamic-config-value: %w", err)
	}
	o.dynamicConfig = map[string]any{}
	for k, raw := range kv {
		var v any
		if err := json.Unmarshal([]byte(raw), &v); err != nil {
			return fmt.Errorf("--dynamic-config-value %s: value is not JSON: %w", k, err)
		}
		if f, ok := v.(float64); ok && f == float64(int64(f)) {
			v = int(f)
		}
		o.dynamicConfig[k] = v
	}
	if o.db, err = filepath.Abs(o.db); err != nil {
		return err
	}

	logger := log.NewZapLogger(log.BuildZapLogger(log.Config{Level: o.logLevel, Format: o.logFormat}))

	srv, err := buildServer(&o, logger)
	if err != nil {
		return err
	}
	var ui *uiserver.Server
	if o.uiPort != 0 {
		ui = uiserver.NewServer(uiserveroptions.WithConfigProvider(&uiconfig.Config{
			Host:                o.ip,
			Port:                o.uiPort,
			TemporalGRPCAddress: hostPort(o.ip, o.port),
			EnableUI:            true,
			DefaultNamespace:    "default",
			CORS:                uiconfig.CORS{CookieInsecure: true},
			HideLogs:            true,
			DisableNewsFetch:    true, // this machine reaches no internet
		}))
	}

	if err := srv.Start(); err != nil {
		return fmt.Errorf("starting temporal server: %w", err)
	}
	uiErr := make(chan error, 1)
	if ui != nil {
		go func() { uiErr <- ui.Start() }() // Start blocks while serving
	}

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	err = reconcile(ctx, &o, logger)
	cancel()
	if err != nil {
		stop(srv, ui)
		return fmt.Errorf("configuring namespaces: %w", err)
	}
	logger.Info("stashflow-temporal ready")
	fmt.Printf("stashflow-temporal ready: frontend %s, ui %s, db %s\n", hostPort(o.ip, o.port), uiURL(o.ip, o.uiPort), o.db)

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	select {
	case s := <-sig:
		fmt.Printf("stashflow-temporal: %v, stopping\n", s)
		stop(srv, ui)
		return nil
	case err := <-uiErr:
		stop(srv, ui)
		return fmt.Errorf("web UI stopped: %w", err)
	}
}

func stop(srv temporal.Server, ui *uiserver.Server) {
	if ui != nil {
		ui.Stop()
	}
	_ = srv.Stop()
}

func buildServer(o *serveOptions, logger log.Logger) (temporal.Server, error) {
	sqlConf, err := prepareDatabase(o)
	if err != nil {
		return nil, err
	}
	clusterID, err := persistentClusterID(o.db + ".cluster-id")
	if err != nil {
		return nil, err
	}
	httpPort := o.httpPort
	if httpPort == 0 {
		if httpPort, err = freePort(o.ip); err != nil {
			return nil, err
		}
	}

	var conf config.Config
	conf.Global.Membership.MaxJoinDuration = 30 * time.Second
	conf.Global.Membership.BroadcastAddress = o.ip
	conf.Persistence.DefaultStore = "sqlite-default"
	conf.Persistence.VisibilityStore = "sqlite-default"
	conf.Persistence.NumHistoryShards = 1
	conf.Persistence.DataStores = map[string]config.DataStore{"sqlite-default": {SQL: sqlConf}}
	conf.ClusterMetadata = &cluster.Config{
		EnableGlobalNamespace:    false,
		FailoverVersionIncrement: 10,
		MasterClusterName:        clusterName,
		CurrentClusterName:       clusterName,
		ClusterInformation: map[string]cluster.ClusterInformation{
			clusterName: {
				Enabled:                true,
				InitialFailoverVersion: 1,
				RPCAddress:             hostPort(o.ip, o.port),
				HTTPAddress:            hostPort(o.ip, httpPort),
				ClusterID:              clusterID,
			},
		},
	}
	conf.DCRedirectionPolicy.Policy = "noop"
	if o.metricsAddr != "" {
		// the server's own metrics (schedule actions, task latencies, persistence), for Prometheus to scrape
		conf.Global.Metrics = &metrics.Config{Prometheus: &metrics.PrometheusConfig{Framework: "opentelemetry", ListenAddress: o.metricsAddr}}
	}
	conf.Services = map[string]config.Service{}
	hosts := map[primitives.ServiceName]static.Hosts{}
	for _, name := range []primitives.ServiceName{
		primitives.FrontendService, primitives.HistoryService, primitives.MatchingService, primitives.WorkerService,
	} {
		var svc config.Service
		svc.RPC.BindOnIP = o.ip
		if name == primitives.FrontendService {
			svc.RPC.GRPCPort, svc.RPC.HTTPPort = o.port, httpPort
		} else if svc.RPC.GRPCPort, err = freePort(o.ip); err != nil {
			return nil, err
		}
		conf.Services[string(name)] = svc
		hosts[name] = static.SingleLocalHost(hostPort(o.ip, svc.RPC.GRPCPort))
	}
	conf.Archival.History.State = "disabled"
	conf.Archival.Visibility.State = "disabled"
	conf.NamespaceDefaults.Archival.History.State = "disabled"
	conf.NamespaceDefaults.Archival.Visibility.State = "disabled"
	conf.PublicClient.HostPort = hostPort(o.ip, o.port)

	authorizer, err := authorization.GetAuthorizerFromConfig(&conf.Global.Authorization)
	if err != nil {
		return nil, fmt.Errorf("authorizer: %w", err)
	}
	claimMapper, err := authorization.GetClaimMapperFromConfig(&conf.Global.Authorization, logger)
	if err != nil {
		return nil, fmt.Errorf("claim mapper: %w", err)
	}

	dyn := dynamicconfig.StaticClient{
		dynamicconfig.HistoryCacheHostLevelMaxSize.Key():                 8096,
		dynamicconfig.FrontendMaxNamespaceVisibilityRPSPerInstance.Key(): 100,
		// search attributes registered at start are usable at once (no cache lag)
		dynamicconfig.ForceSearchAttributesCacheRefreshOnRead.Key(): true,
		// what the 1.31 dev server turns on (default from 1.32 on)
		dynamicconfig.EnableChasm.Key(): true,
		activity.Enabled.Key():          true,
	}
	for k, v := range o.dynamicConfig {
		dyn[dynamicconfig.MakeKey(k)] = v
	}

	return temporal.NewServer(
		temporal.WithConfig(&conf),
		temporal.ForServices(temporal.DefaultServices),
		temporal.WithStaticHosts(hosts),
		temporal.WithLogger(logger),
		temporal.WithAuthorizer(authorizer),
		temporal.WithClaimMapper(func(*config.Config) authorization.ClaimMapper { return claimMapper }),
		temporal.WithDynamicConfigClient(dyn),
	)
}

// prepareDatabase creates the database file with its schema when it does not exist (atomically, via a temp
// file) and inserts the namespaces that are missing.
func prepareDatabase(o *serveOptions) (*config.SQL, error) {
	attrs := func(file string, pragmas map[string]string) *config.SQL {
		c := &config.SQL{PluginName: sqliteplugin.PluginName, DatabaseName: file, ConnectAttributes: map[string]string{"mode": "rwc"}}
		for k, v := range pragmas {
			c.ConnectAttributes[k] = v
		}
		return c
	}
	if err := os.MkdirAll(filepath.Dir(o.db), 0o755); err != nil {
		return nil, err
	}
	if _, err := os.Stat(o.db); errors.Is(err, os.ErrNotExist) {
		tmp := o.db + ".setup"
		for _, f := range []string{tmp, tmp + "-journal", tmp + "-wal", tmp + "-shm"} {
			_ = os.Remove(f)
		}
		// No pragmas here: the plugin's pool never closes a connection, so the setup connection stays open on the
		// renamed file; in the default rollback-journal mode every committed page is already in the file itself,
		// whereas WAL mode could leave committed pages in a temp-named -wal file that the rename leaves behind.
		if err := sqliteschema.SetupSchema(attrs(tmp, nil)); err != nil {
			return nil, fmt.Errorf("setting up the schema in %s: %w", tmp, err)
		}
		if err := os.Rename(tmp, o.db); err != nil {
			return nil, err
		}
		fmt.Printf("stashflow-temporal: created database %s\n", o.db)
	} else if err != nil {
		return nil, err
	}

	conf := attrs(o.db, o.pragmas)
	var nss []*sqliteschema.NamespaceConfig
	for _, name := range o.namespaces {
		ns, err := sqliteschema.NewNamespaceConfig(clusterName, name, false, o.searchAttrs)
		if err != nil {
			return nil, fmt.Errorf("namespace %s: %w", name, err)
		}
		ns.Detail.Config.Retention = durationpb.New(o.retention)
		nss = append(nss, ns)
	}
	if err := sqliteschema.CreateNamespaces(conf, nss...); err != nil {
		return nil, err
	}
	return conf, nil
}

// reconcile makes an existing database match the flags: it registers missing search attributes and sets the
// retention, through the server's own APIs.
func reconcile(ctx context.Context, o *serveOptions, logger log.Logger) error {
	conn, err := grpc.NewClient(hostPort(o.ip, o.port), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return err
	}
	defer func() { _ = conn.Close() }()
	ctx = headers.SetVersions(ctx)
	ops := operatorservice.NewOperatorServiceClient(conn)
	wf := workflowservice.NewWorkflowServiceClient(conn)

	for _, ns := range o.namespaces {
		var desc *workflowservice.DescribeNamespaceResponse
		if err := retry(ctx, func() (err error) {
			desc, err = wf.DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: ns})
			return err
		}); err != nil {
			return fmt.Errorf("describe namespace %s: %w", ns, err)
		}
		if got := desc.GetConfig().GetWorkflowExecutionRetentionTtl().AsDuration(); got != o.retention {
			if _, err := wf.UpdateNamespace(ctx, &workflowservice.UpdateNamespaceRequest{
				Namespace: ns,
				Config:    &namespacepb.NamespaceConfig{WorkflowExecutionRetentionTtl: durationpb.New(o.retention)},
			}); err != nil {
				return fmt.Errorf("update retention of %s: %w", ns, err)
			}
			logger.Info("namespace retention updated", tag.WorkflowNamespace(ns), tag.NewDurationTag("retention", o.retention))
		}

		var list *operatorservice.ListSearchAttributesResponse
		if err := retry(ctx, func() (err error) {
			list, err = ops.ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: ns})
			return err
		}); err != nil {
			return fmt.Errorf("list search attributes of %s: %w", ns, err)
		}
		missing := map[string]enumspb.IndexedValueType{}
		for name, want := range o.searchAttrs {
			got, ok := list.GetCustomAttributes()[name]
			if !ok {
				if _, system := list.GetSystemAttributes()[name]; system {
					return fmt.Errorf("search attribute %s is a system attribute", name)
				}
				missing[name] = want
			} else if got != want {
				return fmt.Errorf("search attribute %s exists in %s as %v, wanted %v (use a fresh database)", name, ns, got, want)
			}
		}
		if len(missing) > 0 {
			if _, err := ops.AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
				Namespace: ns, SearchAttributes: missing,
			}); err != nil {
				return fmt.Errorf("add search attributes to %s: %w", ns, err)
			}
			logger.Info("search attributes added", tag.WorkflowNamespace(ns), tag.NewAnyTag("names", sortedKeys(missing)))
		}
	}
	return nil
}

// ---------------------------------------------------------------------------------------------------- health

// health exits 0 when the frontend serves gRPC health, the namespace is described, every wanted search
// attribute is registered, and (when asked) the UI answers 200.
func health(args []string) error {
	fs := flag.NewFlagSet("health", flag.ExitOnError)
	address := fs.String("address", "127.0.0.1:7233", "frontend gRPC address")
	namespace := fs.String("namespace", "default", "namespace to describe")
	ui := fs.String("ui-url", "", "Web UI URL to GET (empty: skip)")
	timeout := fs.Duration("timeout", 5*time.Second, "overall timeout")
	var searchAttrs multiFlag
	fs.Var(&searchAttrs, "search-attribute", "custom search attribute Name=Type that must be registered (repeatable)")
	_ = fs.Parse(args)
	want, err := parseSearchAttributes(searchAttrs)
	if err != nil {
		return err
	}

	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	conn, err := grpc.NewClient(*address, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return err
	}
	defer func() { _ = conn.Close() }()
	ctx = headers.SetVersions(ctx)

	hc, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{Service: "temporal.api.workflowservice.v1.WorkflowService"})
	if err != nil {
		return fmt.Errorf("frontend %s: %w", *address, err)
	}
	if hc.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		return fmt.Errorf("frontend %s: %v", *address, hc.GetStatus())
	}
	desc, err := workflowservice.NewWorkflowServiceClient(conn).DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: *namespace})
	if err != nil {
		return fmt.Errorf("namespace %s: %w", *namespace, err)
	}
	list, err := operatorservice.NewOperatorServiceClient(conn).ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: *namespace})
	if err != nil {
		return fmt.Errorf("search attributes of %s: %w", *namespace, err)
	}
	for name, t := range want {
		if got, ok := list.GetCustomAttributes()[name]; !ok || got != t {
			return fmt.Errorf("search attribute %s (%v) not registered in %s", name, t, *namespace)
		}
	}
	uiNote := ""
	if *ui != "" {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, *ui, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return fmt.Errorf("web UI: %w", err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("web UI %s: HTTP %d", *ui, resp.StatusCode)
		}
		uiNote = ", ui " + *ui
	}
	fmt.Printf("temporal %s, namespace %s (retention %v), %d custom search attributes%s\n",
		*address, *namespace, desc.GetConfig().GetWorkflowExecutionRetentionTtl().AsDuration(),
		len(list.GetCustomAttributes()), uiNote)
	return nil
}

// ---------------------------------------------------------------------------------------------------- helpers

func parseSearchAttributes(items []string) (map[string]enumspb.IndexedValueType, error) {
	kv, err := parseKeyValues(items)
	if err != nil {
		return nil, fmt.Errorf("--search-attribute: %w", err)
	}
	out := map[string]enumspb.IndexedValueType{}
	for name, typ := range kv {
		t, err := enumspb.IndexedValueTypeFromString(typ)
		if err != nil || t == enumspb.INDEXED_VALUE_TYPE_UNSPECIFIED {
			return nil, fmt.Errorf("--search-attribute %s: unknown type %q (Keyword, Text, Int, Double, Bool, Datetime, KeywordList)", name, typ)
		}
		out[name] = t
	}
	return out, nil
}

func parseKeyValues(items []string) (map[string]string, error) {
	out := map[string]string{}
	for _, item := range items {
		k, v, ok := strings.Cut(item, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok || k == "" {
			return nil, fmt.Errorf("%q is not key=value", item)
		}
		if prev, dup := out[k]; dup && prev != v {
			return nil, fmt.Errorf("%s given twice (%q, %q)", k, prev, v)
		}
		out[k] = v
	}
	return out, nil
}

// retry calls fn until it succeeds or ctx ends; the frontend answers Unavailable while its namespace registry
// and membership settle.
func retry(ctx context.Context, fn func() error) error {
	for {
		err := fn()
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(250 * time.Millisecond):
		}
	}
}

func persistentClusterID(file string) (string, error) {
	if b, err := os.ReadFile(file); err == nil && len(strings.TrimSpace(string(b))) > 0 {
		return strings.TrimSpace(string(b)), nil
	}
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	b[6], b[8] = (b[6]&0x0f)|0x40, (b[8]&0x3f)|0x80 // UUID v4
	h := hex.EncodeToString(b[:])
	id := h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
	return id, os.WriteFile(file, []byte(id+"\n"), 0o644)
}

func freePort(ip string) (int, error) {
	l, err := net.Listen("tcp", hostPort(ip, 0))
	if err != nil {
		return 0, err
	}
	defer func() { _ = l.Close() }()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func hostPort(ip string, port int) string { return net.JoinHostPort(ip, strconv.Itoa(port)) }

func uiURL(ip string, port int) string {
	if port == 0 {
		return "(off)"
	}
	return "http://" + hostPort(ip, port)
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
