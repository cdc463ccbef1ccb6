package importrules

// Sets of packages the rules speak of, as patterns relative to the
// module: "jobs" is that package, "jobs/..." it and every package below.
var (
	// TestHelpers are the packages that exist only for tests: nothing
	// that ships in a binary imports them.
	TestHelpers = []string{
		"e2e/...",
		"internal/testbin",
		"internal/testimage",
		"internal/dockerdtest",
		"internal/browsertest",
		"internal/procstat",
		"internal/importrules",
		"internal/s3test",
	}
	// SystemHelpers are the test helpers that start Docker, dockerd or a
	// Nomad agent, or talk to the shared Docker daemon: only system tests
	// use them.
	SystemHelpers = []string{
		"e2e/...",
		"internal/testimage",
		"internal/dockerdtest",
		"internal/s3test",
	}
	// DockerClient is the Docker API client: a test that uses it talks to
	// a Docker daemon.
	DockerClient = "github.com/docker/docker/client"
	// Tools are programs for people measuring dockmr, not parts of it:
	// they may use the test helpers.
	Tools = []string{"bench/..."}
)

// Rule is one allowed import direction, written as what a set of
// packages must not import.
type Rule struct {
	// Name says the rule in a few words.
	Name string
	// From are the packages the rule binds.
	From []string
	// Except are packages of From the rule does not bind.
	Except []string
	// Deny are the packages they must not import.
	Deny []string
	// Allow are packages of Deny they may import all the same.
	Allow []string
	// Tests makes the rule bind the packages' tests' direct imports
	// instead of everything their own code imports, directly or not.
	Tests bool
	// Why is the reason, which a failure quotes.
	Why string
}

// Rules are dockmr's import directions; docs/architecture.md shows them
// as a picture.
var Rules = []Rule{
	{
		Name: "leaves import nothing of dockmr",
		From: []string{"contract", "tera", "driver/cgstats", "internal/mountinfo", "internal/tail", "storage", "shuffle", "internal/importrules"},
		Deny: []string{"..."},
		Why: "the runner-driver contract, the TeraSort record format, the cgroup reader, the mount table reader, the bounded tail, the storage backends and the shuffle server and fetcher " +
			"are leaves that any side may import and a reader can take alone; importrules must run on a tree that does not build",
	},
	{
		Name:  "telemetry imports only the contract",
		From:  []string{"internal/telemetry"},
		Deny:  []string{"..."},
		Allow: []string{"contract"},
		Why:   "the driver, the runners and both commands set up telemetry alike; it may know the driver's name, nothing else",
	},
	{
		Name: "the job runner never imports the driver",
		From: []string{"jobs/...", "cmd/dockmr-task"},
		Deny: []string{"driver/...", "plugin", "devcluster"},
		Why: "the runner reaches the driver only through Nomad's API and the container's environment; " +
			"what both sides agree on is in contract/",
	},
	{
		Name: "the driver never imports the job runner",
		From: []string{"driver/...", "plugin"},
		Deny: []string{"jobs/...", "tera", "cmd/...", "devcluster"},
		Why:  "dockmr-driver runs any image's task and knows nothing of MapReduce; what it agrees on with the runner is in contract/",
	},
	{
		Name: "the dev cluster runs dockmr's programs, it does not link them",
		From: []string{"devcluster"},
		Deny: []string{"driver/...", "jobs/...", "tera", "plugin"},
		Why:  "devcluster starts the built nomad, dockmr-driver and dockmr-task as processes, as an operator's cluster does",
	},
	{
		Name:   "nothing that ships imports test code",
		From:   []string{"..."},
		Except: append(append([]string{}, TestHelpers...), Tools...),
		Deny:   append(append([]string{}, TestHelpers...), Tools...),
		Why:    "test helpers, system tests and benchmark tools never end up in dockmr, dockmr-task or dockmr-driver",
	},
	{
		Name:   "only system tests use the system-test helpers",
		From:   []string{"..."},
		Except: append(append([]string{"driver"}, SystemHelpers...), Tools...),
		Deny:   append([]string{DockerClient}, SystemHelpers...),
		Tests:  true,
		Why: "unit tests run under `go test -short` without root, Docker or Nomad; a test that talks to Docker or starts dockerd " +
			"or a Nomad agent lives under e2e/<suite>/. The benchmark tools drive real clusters through the helpers. The driver's tests are the exception: they drive the plugin's " +
			"unexported handles in process through Nomad's driver harness (docs/architecture.md)",
	},
}
