package deploy

import (
	"bufio"
	"encoding/json"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// instruction is one Dockerfile instruction, continuation lines joined.
type instruction struct {
	stage int // index of the FROM it belongs to
	cmd   string
	args  string
}

func parseDockerfile(t *testing.T, file string) []instruction {
	t.Helper()
	f, err := os.Open(file)
	require.NoError(t, err)
	defer f.Close()
	var out []instruction
	stage := -1
	var pending string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if pending == "" && (line == "" || strings.HasPrefix(line, "#")) {
			continue
		}
		if strings.HasSuffix(line, `\`) {
			pending += strings.TrimSuffix(line, `\`) + " "
			continue
		}
		line = pending + line
		pending = ""
		cmd, args, _ := strings.Cut(line, " ")
		cmd = strings.ToUpper(cmd)
		if cmd == "FROM" {
			stage++
		}
		out = append(out, instruction{stage: stage, cmd: cmd, args: strings.TrimSpace(args)})
	}
	require.NoError(t, sc.Err())
	return out
}

// words splits an instruction's arguments in JSON-array or shell form, dropping --flags.
func words(t *testing.T, args string) (flags map[string]string, rest []string) {
	t.Helper()
	flags = map[string]string{}
	fields := strings.Fields(args)
	for len(fields) > 0 && strings.HasPrefix(fields[0], "--") {
		k, v, _ := strings.Cut(strings.TrimPrefix(fields[0], "--"), "=")
		flags[k] = v
		fields = fields[1:]
	}
	joined := strings.Join(fields, " ")
	if strings.HasPrefix(joined, "[") {
		require.NoError(t, json.Unmarshal([]byte(joined), &rest), args)
		return flags, rest
	}
	return flags, fields
}

func TestDockerfileMatchesRepository(t *testing.T) {
	ins := parseDockerfile(t, repoPath("Dockerfile"))
	require.NotEmpty(t, ins)
	final := ins[len(ins)-1].stage
	finalOf := func(cmd string) []instruction {
		var out []instruction
		for _, in := range ins {
			if in.stage == final && in.cmd == cmd {
				out = append(out, in)
			}
		}
		return out
	}

	t.Run("final stage is scratch or distroless static", func(t *testing.T) {
		from := finalOf("FROM")
		require.Len(t, from, 1)
		base := strings.Fields(from[0].args)[0]
		assert.True(t, base == "scratch" || strings.HasPrefix(base, "gcr.io/distroless/static"), "base %q", base)
	})

	t.Run("builds both binaries static and trimmed", func(t *testing.T) {
		var runs string
		for _, in := range ins {
			if in.cmd == "RUN" && in.stage < final {
				runs += in.args + "\n"
			}
		}
		for _, want := range []string{"CGO_ENABLED=0", "-trimpath", "./cmd/otelcol-audit", "./cmd/auditgen"} {
			assert.Contains(t, runs, want)
		}
	})

	// Files copied from the build context: source in the repository, and destination in the
	// final image.
	type copyRef struct{ src, dst string }
	var fromContext []copyRef
	copied := map[string]string{}
	for _, in := range ins {
		if in.cmd != "COPY" && in.cmd != "ADD" {
			continue
		}
		flags, w := words(t, in.args)
		require.GreaterOrEqual(t, len(w), 2, in.args)
		if _, fromStage := flags["from"]; fromStage {
			continue
		}
		dst := w[len(w)-1]
		for _, src := range w[:len(w)-1] {
			fromContext = append(fromContext, copyRef{src, dst})
			if in.stage == final && src != "." {
				target := dst
				if strings.HasSuffix(dst, "/") {
					target = path.Join(dst, path.Base(src))
				}
				copied[target] = src
			}
		}
	}

	t.Run("every COPY source exists in the build context", func(t *testing.T) {
		ignored := dockerignore(t)
		require.NotEmpty(t, fromContext)
		for _, c := range fromContext {
			matches, err := filepath.Glob(repoPath(c.src))
			require.NoError(t, err)
			assert.NotEmpty(t, matches, "COPY %s: no such file in the repository", c.src)
			for _, p := range ignored {
				assert.False(t, c.src == p || strings.HasPrefix(c.src, p+"/"), "COPY %s: excluded by .dockerignore (%s)", c.src, p)
			}
		}
	})

	t.Run("USER is a numeric non-root uid", func(t *testing.T) {
		user := finalOf("USER")
		require.NotEmpty(t, user)
		uid, gid, _ := strings.Cut(user[len(user)-1].args, ":")
		n, err := strconv.Atoi(uid)
		require.NoError(t, err, "USER %q: numeric, so that runAsNonRoot can check it", uid)
		assert.NotZero(t, n)
		if gid != "" {
			g, err := strconv.Atoi(gid)
			require.NoError(t, err)
			assert.NotZero(t, g)
		}
	})

	t.Run("WORKDIR is the state directory", func(t *testing.T) {
		wd := finalOf("WORKDIR")
		require.NotEmpty(t, wd)
		assert.Equal(t, "/var/lib/otelcol-audit", wd[len(wd)-1].args)
	})

	container, err := os.ReadFile(repoPath("deploy/container/config.yaml"))
	require.NoError(t, err)
	t.Run("EXPOSE lists the documented ports, each in the container config", func(t *testing.T) {
		var ports []string
		for _, in := range finalOf("EXPOSE") {
			for _, p := range strings.Fields(in.args) {
				ports = append(ports, strings.TrimSuffix(p, "/tcp"))
			}
		}
		assert.ElementsMatch(t, []string{"4317", "4318", "8088", "8089", "8888", "13133"}, ports)
		for _, p := range ports {
			listens := regexp.MustCompile(`(:` + p + `\b)|(port: ` + p + `\b)`)
			assert.Regexp(t, listens, string(container), "port %s is exposed but the container config does not listen on it", p)
		}
	})

	t.Run("CMD runs a config the image holds", func(t *testing.T) {
		cmd := finalOf("CMD")
		require.NotEmpty(t, cmd)
		_, args := words(t, cmd[len(cmd)-1].args)
		var config string
		for i, a := range args {
			if a == "--config" && i+1 < len(args) {
				config = args[i+1]
			} else if v, ok := strings.CutPrefix(a, "--config="); ok {
				config = v
			}
		}
		require.NotEmpty(t, config, "CMD %v names no --config", args)
		src, ok := copied[config]
		require.True(t, ok, "CMD's config %s is not copied into the image (copied: %v)", config, copied)
		assert.Equal(t, "deploy/container/config.yaml", src)
		assert.FileExists(t, repoPath(src))

		entry := finalOf("ENTRYPOINT")
		require.NotEmpty(t, entry)
		_, e := words(t, entry[len(entry)-1].args)
		require.NotEmpty(t, e)
		assert.Equal(t, "/usr/bin/otelcol-audit", e[0])
	})
}

// dockerignore returns the plain path patterns of .dockerignore (no wildcards).
func dockerignore(t *testing.T) []string {
	t.Helper()
	data, err := os.ReadFile(repoPath(".dockerignore"))
	require.NoError(t, err)
	var out []string
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") || strings.ContainsAny(line, "*?!") {
			continue
		}
		out = append(out, strings.TrimSuffix(line, "/"))
	}
	assert.Contains(t, out, ".git", ".dockerignore keeps the repository history out of the context")
	assert.Contains(t, out, "data", ".dockerignore keeps local state out of the context")
	return out
}
