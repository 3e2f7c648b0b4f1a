// Command kube-apiserver-for-tests runs a real kube-apiserver (k8s.io/kubernetes, unmodified) and an
// embedded etcd in one process on 127.0.0.1, for the thanos-gitops end-to-end tests.
//
// Everything it needs lives in --data-dir, and is created on first start and reused afterwards, so a
// restart on the same directory (even after SIGKILL) comes back with the same objects, serving
// certificate, tokens and service-account keys. When /readyz answers ok it writes an admin and a
// deployer kubeconfig into the data dir and prints one JSON line on stdout describing the control plane.
// Arguments after "--" are passed to kube-apiserver unchanged.
package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"go.etcd.io/etcd/server/v3/embed"

	"k8s.io/component-base/cli"
	_ "k8s.io/component-base/logs/json/register"
	_ "k8s.io/component-base/metrics/prometheus/clientgo"
	_ "k8s.io/component-base/metrics/prometheus/version"
	"k8s.io/component-base/version"
	"k8s.io/kubernetes/cmd/kube-apiserver/app"
)

type options struct {
	dataDir        string
	port           int
	etcdPort       int
	fsync          bool
	exitOnStdinEOF bool
	readyTimeout   time.Duration
}

// readyLine is the single JSON line printed on stdout once the server is ready; tokens are not in it
// (they are in the kubeconfig files) so that logging the line never leaks a credential.
type readyLine struct {
	Ready              bool   `json:"ready"`
	Server             string `json:"server"`
	Version            string `json:"version"`
	CAFile             string `json:"caFile"`
	AdminKubeconfig    string `json:"adminKubeconfig"`
	DeployerKubeconfig string `json:"deployerKubeconfig"`
	DataDir            string `json:"dataDir"`
	EtcdServer         string `json:"etcdServer"`
	PID                int    `json:"pid"`
}

func main() {
	os.Exit(run())
}

func run() int {
	var opts options
	fs := flag.NewFlagSet("kube-apiserver-for-tests", flag.ContinueOnError)
	fs.StringVar(&opts.dataDir, "data-dir", "", "directory for etcd data, certificates, keys, tokens and kubeconfigs (required; reused on restart)")
	fs.IntVar(&opts.port, "port", 0, "HTTPS port of kube-apiserver on 127.0.0.1 (0 = pick a free port)")
	fs.IntVar(&opts.etcdPort, "etcd-port", 0, "client port of the embedded etcd on 127.0.0.1 (0 = pick a free port)")
	fs.BoolVar(&opts.fsync, "fsync", false, "fsync etcd writes; off by default because a killed process still leaves its writes in the page cache, which is all a crash test needs")
	fs.BoolVar(&opts.exitOnStdinEOF, "exit-on-stdin-eof", false, "shut down when stdin closes, so the server never outlives the test process that started it")
	fs.DurationVar(&opts.readyTimeout, "ready-timeout", 3*time.Minute, "how long to wait for /readyz before giving up")
	if err := fs.Parse(os.Args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if opts.dataDir == "" {
		fmt.Fprintln(os.Stderr, "kube-apiserver-for-tests: --data-dir is required")
		return 2
	}
	extraArgs := fs.Args()

	dataDir, err := filepath.Abs(opts.dataDir)
	if err != nil {
		fmt.Fprintf(os.Stderr, "kube-apiserver-for-tests: %v\n", err)
		return 1
	}
	opts.dataDir = dataDir
	files, err := prepareDataDir(dataDir)
	if err != nil {
		fmt.Fprintf(os.Stderr, "kube-apiserver-for-tests: preparing %s: %v\n", dataDir, err)
		return 1
	}

	etcd, etcdURL, err := startEtcd(opts)
	if err != nil {
		fmt.Fprintf(os.Stderr, "kube-apiserver-for-tests: starting etcd: %v\n", err)
		return 1
	}
	defer etcd.Close()

	port := opts.port
	if port == 0 {
		// kube-apiserver treats --secure-port=0 as "do not serve HTTPS", so pick the port here.
		if port, err = freePort(); err != nil {
			fmt.Fprintf(os.Stderr, "kube-apiserver-for-tests: picking a port: %v\n", err)
			return 1
		}
	}
	server := "https://127.0.0.1:" + strconv.Itoa(port)

	args := []string{
		"--etcd-servers=" + etcdURL,
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(port),
		"--cert-dir=" + files.certDir,
		// Kubernetes' usual range: every test file and benchmark shares one server, and a /24 runs out. Its low
		// static band (10.96.0.0-10.96.0.255) is left to Services that ask for a clusterIP.
		"--service-cluster-ip-range=10.96.0.0/12",
		"--authorization-mode=RBAC",
		"--token-auth-file=" + files.tokens,
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file=" + files.saKey,
		"--service-account-signing-key-file=" + files.saKey,
		// No controller-manager runs, so nothing would create the default ServiceAccount this plugin requires.
		"--disable-admission-plugins=ServiceAccount",
		"--allow-privileged=true",
		// The endpoints reconciler would try to publish 127.0.0.1 for the kubernetes Service, which
		// Endpoints validation rejects as loopback, and log that failure forever.
		"--endpoint-reconciler-type=none",
	}
	args = append(args, extraArgs...)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		if err := waitReady(ctx, opts, server, etcdURL, files); err != nil {
			fmt.Fprintf(os.Stderr, "kube-apiserver-for-tests: %v\n", err)
			_ = syscall.Kill(os.Getpid(), syscall.SIGTERM)
		}
	}()
	go func() {
		select {
		case err := <-etcd.Err():
			fmt.Fprintf(os.Stderr, "kube-apiserver-for-tests: etcd failed: %v\n", err)
			_ = syscall.Kill(os.Getpid(), syscall.SIGTERM)
		case <-ctx.Done():
		}
	}()
	if opts.exitOnStdinEOF {
		go func() {
			_, _ = io.Copy(io.Discard, os.Stdin)
			fmt.Fprintln(os.Stderr, "kube-apiserver-for-tests: stdin closed, shutting down")
			// The apiserver's own signal handler turns SIGTERM into a graceful shutdown.
			_ = syscall.Kill(os.Getpid(), syscall.SIGTERM)
		}()
	}

	command := app.NewAPIServerCommand()
	command.SetArgs(args)
	code := cli.Run(command)
	cancel()
	return code
}

type dataFiles struct {
	certDir            string
	caFile             string
	tokens             string
	saKey              string
	adminToken         string
	deployerToken      string
	adminKubeconfig    string
	deployerKubeconfig string
	etcdDir            string
}

func prepareDataDir(dir string) (dataFiles, error) {
	f := dataFiles{
		certDir:            filepath.Join(dir, "certs"),
		tokens:             filepath.Join(dir, "tokens.csv"),
		saKey:              filepath.Join(dir, "service-account.key"),
		adminKubeconfig:    filepath.Join(dir, "admin.kubeconfig"),
		deployerKubeconfig: filepath.Join(dir, "deployer.kubeconfig"),
		etcdDir:            filepath.Join(dir, "etcd"),
	}
	// kube-apiserver writes its self-signed serving certificate (and the CA that signed it) here.
	f.caFile = filepath.Join(f.certDir, "apiserver.crt")
	if err := os.MkdirAll(f.certDir, 0o700); err != nil {
		return f, err
	}

	tokens, err := readOrCreate(filepath.Join(dir, "tokens.json"), func() ([]byte, error) {
		admin, err := randomToken()
		if err != nil {
			return nil, err
		}
		deployer, err := randomToken()
		if err != nil {
			return nil, err
		}
		return json.Marshal(map[string]string{"admin": admin, "deployer": deployer})
	})
	if err != nil {
		return f, err
	}
	var parsed map[string]string
	if err := json.Unmarshal(tokens, &parsed); err != nil {
		return f, fmt.Errorf("tokens.json: %w (delete the data dir to start over)", err)
	}
	f.adminToken, f.deployerToken = parsed["admin"], parsed["deployer"]
	if f.adminToken == "" || f.deployerToken == "" {
		return f, errors.New("tokens.json lacks the admin or deployer token (delete the data dir to start over)")
	}
	// Static token file: token,user,uid[,"groups"]. The deployer has no group beyond
	// system:authenticated, so it can do only what tests bind to it.
	csv := fmt.Sprintf("%s,admin,admin-uid,\"system:masters\"\n%s,deployer,deployer-uid\n", f.adminToken, f.deployerToken)
	if err := os.WriteFile(f.tokens, []byte(csv), 0o600); err != nil {
		return f, err
	}

	if _, err := readOrCreate(f.saKey, func() ([]byte, error) {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, err
		}
		der, err := x509.MarshalECPrivateKey(key)
		if err != nil {
			return nil, err
		}
		return pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), nil
	}); err != nil {
		return f, err
	}
	return f, nil
}

// readOrCreate returns the file's content, creating it with create() first if it does not exist yet.
func readOrCreate(path string, create func() ([]byte, error)) ([]byte, error) {
	content, err := os.ReadFile(path)
	if err == nil {
		return content, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	content, err = create()
	if err != nil {
		return nil, err
	}
	// Write then rename, so a crash never leaves a half-written file that a restart would trip over.
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, content, 0o600); err != nil {
		return nil, err
	}
	return content, os.Rename(tmp, path)
}

func randomToken() (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func startEtcd(opts options) (*embed.Etcd, string, error) {
	cfg := embed.NewConfig()
	cfg.Dir = filepath.Join(opts.dataDir, "etcd")
	cfg.Name = "test-apiserver"
	cfg.LogLevel = "warn"
	// Left at zero, etcd logs every request as a slow one.
	cfg.WarningUnaryRequestDuration = embed.DefaultWarningUnaryRequestDuration
	cfg.LogOutputs = []string{"stderr"}
	cfg.UnsafeNoFsync = !opts.fsync
	client := url.URL{Scheme: "http", Host: "127.0.0.1:" + strconv.Itoa(opts.etcdPort)}
	cfg.ListenClientUrls = []url.URL{client}
	cfg.AdvertiseClientUrls = []url.URL{client}
	// A single member never dials its peers; port 0 keeps parallel instances from colliding on 2380.
	cfg.ListenPeerUrls = []url.URL{{Scheme: "http", Host: "127.0.0.1:0"}}
	cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)

	e, err := embed.StartEtcd(cfg)
	if err != nil {
		return nil, "", err
	}
	select {
	case <-e.Server.ReadyNotify():
	case err := <-e.Err():
		e.Close()
		return nil, "", err
	case <-time.After(time.Minute):
		e.Close()
		return nil, "", errors.New("etcd was not ready within a minute")
	}
	return e, "http://" + e.Clients[0].Addr().String(), nil
}

func waitReady(ctx context.Context, opts options, server, etcdURL string, files dataFiles) error {
	deadline := time.Now().Add(opts.readyTimeout)
	var lastErr error
	for {
		if ctx.Err() != nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("/readyz was not ok within %s: %v", opts.readyTimeout, lastErr)
		}
		lastErr = probeReady(ctx, server, files)
		if lastErr == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	ca, err := os.ReadFile(files.caFile)
	if err != nil {
		return err
	}
	if err := writeKubeconfig(files.adminKubeconfig, server, ca, "admin", files.adminToken); err != nil {
		return err
	}
	if err := writeKubeconfig(files.deployerKubeconfig, server, ca, "deployer", files.deployerToken); err != nil {
		return err
	}
	line, err := json.Marshal(readyLine{
		Ready:              true,
		Server:             server,
		Version:            version.Get().GitVersion,
		CAFile:             files.caFile,
		AdminKubeconfig:    files.adminKubeconfig,
		DeployerKubeconfig: files.deployerKubeconfig,
		DataDir:            opts.dataDir,
		EtcdServer:         etcdURL,
		PID:                os.Getpid(),
	})
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(os.Stdout, string(line))
	return err
}

func probeReady(ctx context.Context, server string, files dataFiles) error {
	ca, err := os.ReadFile(files.caFile)
	if err != nil {
		return err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(ca) {
		return fmt.Errorf("no certificate in %s yet", files.caFile)
	}
	client := &http.Client{
		Timeout:   5 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}},
	}
	defer client.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, server+"/readyz", nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+files.adminToken)
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("/readyz answered %d: %s", resp.StatusCode, body)
	}
	return nil
}

func writeKubeconfig(path, server string, ca []byte, user, token string) error {
	content := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: test
  cluster:
    server: %s
    certificate-authority-data: %s
users:
- name: %s
  user:
    token: %s
contexts:
- name: %s
  context:
    cluster: test
    user: %s
current-context: %s
`, server, base64.StdEncoding.EncodeToString(ca), user, token, user, user, user)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(content), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
