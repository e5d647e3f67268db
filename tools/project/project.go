// Package project declares the credential gate: connect-project, which
// checks a project URL and admin API key against the backend and unlocks
// the InsForge tools for the session, and disconnect-project, which locks
// them again.
package project

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/insforge-mcp/insforge-mcp/credentials"
	"github.com/insforge-mcp/insforge-mcp/insforge"
	"github.com/insforge-mcp/insforge-mcp/tools"
)

// ConnectInput are the arguments of connect-project.
type ConnectInput struct {
	ProjectURL string `json:"projectUrl,omitempty" jsonschema_description:"Or a self-hosted URL."`
	APIKey     string `json:"apiKey,omitempty" jsonschema_description:"Never echo it."`
	Remember   bool   `json:"remember,omitempty" jsonschema_description:"If the user asks."`
}

// DisconnectInput are the arguments of disconnect-project.
type DisconnectInput struct {
	Forget bool `json:"forget,omitempty" jsonschema_description:"Also delete the saved file."`
}

// Connect is connect-project.
func Connect() tools.Tool {
	return tools.Define(tools.Spec{
		Name:   "connect-project",
		Title:  "Connect project",
		Access: tools.Open,
		Hints:  tools.Hints{ReadOnly: tools.No, Destructive: tools.No, Idempotent: tools.Yes, OpenWorld: tools.Yes},
		Description: "Ask the user for the Project URL (https://{project-id}.{region}.insforge.app) and admin API key (ik_…) from the dashboard; never invent them. " +
			"Omit both to let the user type them on a local page, if supported.",
	}, connect)
}

// Disconnect is disconnect-project.
func Disconnect() tools.Tool {
	return tools.Define(tools.Spec{
		Name:        "disconnect-project",
		Title:       "Disconnect",
		Access:      tools.Open,
		Hints:       tools.Hints{ReadOnly: tools.No, Destructive: tools.No, Idempotent: tools.Yes, OpenWorld: tools.No},
		Description: "Forget this session's project credentials.",
	}, disconnect)
}

func disconnect(ctx context.Context, env *tools.Env, in DisconnectInput) (*tools.Result, error) {
	out, err := env.Session.Disconnect(ctx, in.Forget)
	if err != nil {
		return nil, err
	}
	var parts []string
	if out.WasConnected {
		parts = append(parts, "Disconnected: this session no longer holds project credentials.")
	} else {
		parts = append(parts, "This session had not connected a project itself.")
	}
	if out.Deleted != "" {
		parts = append(parts, "Deleted the saved credentials file "+out.Deleted+".")
	}
	if out.Saved != "" {
		parts = append(parts, "The credentials saved in "+out.Saved+" stay, and the server loads them when it starts; to delete them, call disconnect-project with forget: true.")
	}
	if out.StillConfigured {
		parts = append(parts, "The server was started with a configured project, so the InsForge tools still use that one.")
	}
	return tools.Say("%s", strings.Join(parts, " ")), nil
}

func connect(ctx context.Context, env *tools.Env, in ConnectInput) (*tools.Result, error) {
	var out tools.ConnectOutcome
	switch {
	case in.ProjectURL == "" && in.APIKey == "":
		var err error
		out, err = env.Session.ConnectInteractive(ctx)
		if errors.Is(err, tools.ErrNoInteractiveConnect) {
			return nil, tools.Errorf("connect-project needs projectUrl and apiKey: ask the user for the Project URL (https://{project-id}.{region}.insforge.app) and the admin API key (ik_…) from the InsForge dashboard's project settings, then call it again with both.")
		}
		if err != nil {
			return nil, notConnected(err, "Call connect-project again, or with projectUrl and apiKey.")
		}
	case in.ProjectURL == "":
		return nil, tools.Errorf("missing projectUrl: ask the user for the Project URL shown in the InsForge dashboard")
	case in.APIKey == "":
		return nil, tools.Errorf("missing apiKey: ask the user for the admin API key (ik_…) from the dashboard's project settings")
	default:
		url, err := credentials.NormalizeURL(in.ProjectURL)
		if err != nil {
			return nil, tools.Errorf("%v. Ask the user for the Project URL shown in the InsForge dashboard.", err)
		}
		if err := credentials.CheckKey(in.APIKey); err != nil {
			return nil, tools.Errorf("%v. Ask the user for the admin API key from the dashboard's project settings.", err)
		}
		out, err = env.Session.Connect(ctx, credentials.Credentials{ProjectURL: url, APIKey: in.APIKey}, in.Remember)
		if ue := (*tools.UserError)(nil); errors.As(err, &ue) {
			return nil, err // written for the agent already (the session ended)
		}
		if err != nil {
			return nil, notConnected(err, "Nothing was unlocked; ask the user to check the value and call connect-project again.")
		}
	}
	msg := "Connected to " + out.ProjectURL + "."
	if out.Persistent {
		msg += fmt.Sprintf(" The InsForge tools are unlocked for this session (%d tools).", out.Unlocked)
		if env.Surface == nil || env.Surface.Serves("get-backend-metadata") {
			msg += " Next: call get-backend-metadata to see the project's current state before changing anything."
		}
	} else {
		msg += " The credentials are valid, but this connection has no session to keep them in (protocol 2026-07-28 over HTTP): send them on every request instead, as the headers Authorization: Bearer <key> and X-InsForge-Project-URL."
	}
	if out.Saved != "" {
		msg += " Saved to " + out.Saved + " (mode 0600); disconnect-project with forget: true deletes it."
	}
	if out.NotSaved != "" {
		msg += " Not saved: " + out.NotSaved + "."
	}
	return tools.Say("%s", msg), nil
}

// notConnected explains a failed connect. An answer of the backend's is
// explained by tools.Explain, which fences the backend's words as
// untrusted; our own reasons are said as they are.
func notConnected(err error, next string) error {
	var ae *insforge.Error
	if errors.As(err, &ae) {
		return tools.Errorf("Not connected: checking the credentials failed. %s %s", next, tools.Explain(ae))
	}
	return tools.Errorf("Not connected: %v. %s", err, next)
}
