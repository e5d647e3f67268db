// Package template declares download-template. It does not run anything:
// it reads the project's anon key (/api/metadata/anon-key) and returns the
// command that creates an app from InsForge's starter template, wired to
// this project, and the environment values the app reads. The command is
// the one the official server (InsForge/insforge-mcp, remote mode) hands to
// agents:
//
//	npx create-insforge-app <dir> --frame <react|nextjs> --base-url <url> --anon-key <key>
package template

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/insforge-mcp/insforge-mcp/insforge"
	"github.com/insforge-mcp/insforge-mcp/tools"
)

// DownloadInput are the arguments of download-template.
type DownloadInput struct {
	Frame       string `json:"frame" jsonschema:"required,enum=react,enum=nextjs" jsonschema_description:"react is React + Vite."`
	ProjectName string `json:"projectName,omitempty" jsonschema:"maxLength=100" jsonschema_description:"One path segment; default insforge-{frame}."`
}

var (
	projectNameRE = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]*$`)
	// anonKeyRE bounds what goes into a shell command: anon_… keys and the
	// JWTs older backends issue.
	anonKeyRE  = regexp.MustCompile(`^[A-Za-z0-9_.\-]+$`)
	shellBare  = regexp.MustCompile(`^[A-Za-z0-9_./:@%+=,-]+$`)
	frameNames = map[string]string{"react": "React + Vite", "nextjs": "Next.js"}
)

// Download is download-template.
func Download() tools.Tool {
	return tools.Define(tools.Spec{
		Name:        "download-template",
		Title:       "Starter app command",
		Hints:       tools.Read,
		Description: "The shell command (and env vars) that creates a starter app wired to this project; nothing is run.",
	}, download)
}

func download(ctx context.Context, env *tools.Env, in DownloadInput) (*tools.Result, error) {
	dir := in.ProjectName
	if dir == "" {
		dir = "insforge-" + in.Frame
	}
	if len(dir) > 100 || dir == "." || dir == ".." || !projectNameRE.MatchString(dir) {
		return nil, tools.Errorf("projectName %q is not a safe directory name: use one path segment of letters, digits, '-', '_' and '.', not starting with '-' or '.', at most 100 characters (for example my-app).", in.ProjectName)
	}
	out, _, err := insforge.Call[struct {
		AnonKey string `json:"anonKey"`
	}](ctx, env.Client, insforge.Request{Path: "/api/metadata/anon-key"})
	if err != nil {
		return nil, err
	}
	if len(out.AnonKey) < 8 || len(out.AnonKey) > 4096 || !anonKeyRE.MatchString(out.AnonKey) {
		return nil, tools.Errorf("The backend did not return a usable anon key (GET /api/metadata/anon-key), so no command was built. Check the backend with get-backend-metadata, or ask the user for the anon key from the dashboard.")
	}
	base := env.Client.BaseURL()
	command := strings.Join([]string{"npx", "create-insforge-app", shellQuote(dir), "--frame", in.Frame,
		"--base-url", shellQuote(base), "--anon-key", shellQuote(out.AnonKey)}, " ")

	var vars [][2]string
	var envFile, note string
	if in.Frame == "nextjs" {
		envFile = ".env.local"
		vars = [][2]string{
			{"NEXT_PUBLIC_INSFORGE_BASE_URL", base},
			{"NEXT_PUBLIC_INSFORGE_URL", base},
			{"NEXT_PUBLIC_INSFORGE_ANON_KEY", out.AnonKey},
		}
		note = " The Next.js starter reads NEXT_PUBLIC_INSFORGE_URL; NEXT_PUBLIC_INSFORGE_BASE_URL is the name used in InsForge's SDK docs, so both are listed with the same value."
	} else {
		envFile = ".env"
		vars = [][2]string{
			{"VITE_INSFORGE_BASE_URL", base},
			{"VITE_INSFORGE_ANON_KEY", out.AnonKey},
		}
	}
	envMap := map[string]string{}
	var envLines []string
	for _, v := range vars {
		envMap[v[0]] = v[1]
		envLines = append(envLines, v[0]+"="+v[1])
	}

	var b strings.Builder
	fmt.Fprintf(&b, "To create the %s starter in ./%s, run this in the directory that should contain it:\n\n", frameNames[in.Frame], dir)
	fmt.Fprintf(&b, "    %s\n\n", command)
	fmt.Fprintf(&b, "The command downloads the template, configures it with this project URL and anon key, and installs the dependencies (add --skip-install to skip that). Then: cd %s && npm run dev.\n\n", shellQuote(dir))
	fmt.Fprintf(&b, "If you wire InsForge into an existing app instead, put these lines in its %s:\n\n", envFile)
	for _, l := range envLines {
		fmt.Fprintf(&b, "    %s\n", l)
	}
	b.WriteString("\nThe anon key is public and made for browser code; never put the admin API key (ik_…) in these files.")
	b.WriteString(note)
	return tools.Found(b.String(), map[string]any{
		"frame": in.Frame, "projectName": dir, "command": command, "envFile": envFile, "env": envMap,
	}), nil
}

// shellQuote returns s as one POSIX shell word, quoting only when needed.
func shellQuote(s string) string {
	if shellBare.MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
