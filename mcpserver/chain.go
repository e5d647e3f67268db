package mcpserver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/insforge-mcp/insforge-mcp/clientlog"
	"github.com/insforge-mcp/insforge-mcp/credentials"
	"github.com/insforge-mcp/insforge-mcp/tools"
	"github.com/insforge-mcp/insforge-mcp/tools/discovery"
)

// A tool call runs through a chain of small steps, outermost first:
//
//	trackCall → recoverPanics → redactKey → resolveCredentials → requireProject → limitCalls →
//	readArguments → confirmDestructive → decodeArguments → execute
//
// Each step either answers the call itself (an error result that says what
// to do) or passes it on. Steps work on a toolCall, which they fill in as
// it goes; only execute runs the tool.

// toolCall is one tool call on its way through the chain.
type toolCall struct {
	tool  tools.Tool
	req   mcp.CallToolRequest
	creds credentials.Credentials // set by resolveCredentials
	args  json.RawMessage         // set by readArguments
	in    tools.Args              // set by decodeArguments
}

// callHandler answers a tool call.
type callHandler func(ctx context.Context, c *toolCall) (*mcp.CallToolResult, error)

// step wraps a handler with one concern.
type step func(next callHandler) callHandler

// chain applies steps around h, the first step outermost.
func chain(h callHandler, steps ...step) callHandler {
	for i := len(steps) - 1; i >= 0; i-- {
		h = steps[i](h)
	}
	return h
}

// handler adapts a declared tool to mcp-go through the chain.
func (s *Server) handler(t tools.Tool) server.ToolHandlerFunc {
	if t.Name == discovery.CallToolName {
		h := chain(s.dispatch,
			s.trackCall,
			s.recoverPanics,
			s.redactKey,
			s.resolveCredentials,
			s.limitCalls,
			readArguments,
			decodeArguments,
		)
		return func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			return h(ctx, &toolCall{tool: t, req: req})
		}
	}
	h := chain(s.execute,
		s.trackCall,
		s.recoverPanics,
		s.redactKey,
		s.resolveCredentials,
		s.requireProject,
		s.limitCalls,
		readArguments,
		s.confirmDestructive,
		decodeArguments,
	)
	return func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		return h(ctx, &toolCall{tool: t, req: req})
	}
}

// recoverPanics turns a panic anywhere below into an error result and a
// log line without the key.
func (s *Server) recoverPanics(next callHandler) callHandler {
	return func(ctx context.Context, c *toolCall) (res *mcp.CallToolResult, err error) {
		defer func() {
			if p := recover(); p != nil {
				key := c.creds.APIKey
				s.log.Error("tool panicked", "tool", c.tool.Name, "panic", redact(fmt.Sprint(p), key), "stack", redact(string(debug.Stack()), key))
				res, err = mcp.NewToolResultError("Internal error in "+c.tool.Name+"; the server logged it. Retry with different arguments or report the problem."), nil
			}
		}()
		return next(ctx, c)
	}
}

// redactKey removes the call's API key from every text of the result, and
// any key-like token (ik_…) from an error result, as a last line of
// defence. Structured content is a second copy of the data:
// it is dropped when the text needed redacting.
func (s *Server) redactKey(next callHandler) callHandler {
	return func(ctx context.Context, c *toolCall) (*mcp.CallToolResult, error) {
		res, err := next(ctx, c)
		if res == nil || (len(c.creds.APIKey) < 8 && !res.IsError) {
			return res, err
		}
		changed := false
		for i, content := range res.Content {
			if tc, ok := content.(mcp.TextContent); ok {
				clean := redact(tc.Text, c.creds.APIKey)
				if res.IsError {
					// Errors quote URLs and values the caller pasted: no
					// key-like text goes back, whoever's key it is.
					clean = credentials.RedactKeys(clean, c.creds.APIKey)
				}
				if clean != tc.Text {
					tc.Text, changed = clean, true
					res.Content[i] = tc
				}
			}
		}
		if changed {
			res.StructuredContent = nil
		}
		return res, err
	}
}

// resolveCredentials finds the project this call acts on (request headers,
// the session's connect-project, the server's configuration).
func (s *Server) resolveCredentials(next callHandler) callHandler {
	return func(ctx context.Context, c *toolCall) (*mcp.CallToolResult, error) {
		creds, err := s.credentials(ctx)
		if err != nil {
			return mcp.NewToolResultError(err.Error()), nil
		}
		c.creds = creds
		return next(ctx, c)
	}
}

// requireProject refuses a tool that needs a project when the call has none.
func (s *Server) requireProject(next callHandler) callHandler {
	return func(ctx context.Context, c *toolCall) (*mcp.CallToolResult, error) {
		if c.tool.Access == tools.Connected {
			if c.creds = s.usable(ctx, c.creds); !c.creds.Complete() {
				return mcp.NewToolResultError(s.refusedNote() + lockedMessage(c.tool.Name, isHTTP(ctx))), nil
			}
		}
		return next(ctx, c)
	}
}

// limitCalls counts the call against its key's rate (MaxCallsPerKey),
// then holds one of the session's call slots for the call, waiting
// in the session's queue when all are busy, then one of the server's
// (MaxConcurrentCalls), which bound sessionless requests too.
func (s *Server) limitCalls(next callHandler) callHandler {
	return func(ctx context.Context, c *toolCall) (*mcp.CallToolResult, error) {
		if refused := s.allowKey(ctx, c.creds.APIKey); refused != "" {
			return mcp.NewToolResultError(refused), nil
		}
		release, refused := s.acquire(ctx, c.creds)
		if refused != "" {
			return mcp.NewToolResultError(refused), nil
		}
		defer release()
		releaseServer, refused := s.acquireServer(ctx)
		if refused != "" {
			return mcp.NewToolResultError(refused), nil
		}
		defer releaseServer()
		return next(ctx, c)
	}
}

// readArguments takes the arguments as JSON, once, and refuses them
// when they are over MaxArgumentBytes or MaxArgumentItems.
func readArguments(next callHandler) callHandler {
	return func(ctx context.Context, c *toolCall) (*mcp.CallToolResult, error) {
		switch a := c.req.Params.Arguments.(type) {
		case nil:
			c.args = json.RawMessage("{}")
		case json.RawMessage:
			c.args = a
		default:
			data, err := json.Marshal(a)
			if err != nil {
				return mcp.NewToolResultError("The arguments of " + c.tool.Name + " must be a JSON object."), nil
			}
			c.args = data
		}
		if refused := checkArgumentBounds(c.tool.Name, c.args, MaxArgumentBytes, MaxArgumentItems); refused != "" {
			return mcp.NewToolResultError(refused), nil
		}
		return next(ctx, c)
	}
}

// confirmDestructive asks the user before a destructive call when the
// server was started with --confirm-destructive.
func (s *Server) confirmDestructive(next callHandler) callHandler {
	return func(ctx context.Context, c *toolCall) (*mcp.CallToolResult, error) {
		if !s.needsConfirmation(c.tool) {
			return next(ctx, c)
		}
		answer, args := s.confirm(ctx, c.tool, c.req, c.args)
		if answer != nil {
			return answer, nil
		}
		c.args = args
		return next(ctx, c)
	}
}

// decodeArguments checks the arguments against the tool's input type and
// decodes them, before anything is sent anywhere.
func decodeArguments(next callHandler) callHandler {
	return func(ctx context.Context, c *toolCall) (*mcp.CallToolResult, error) {
		in, err := c.tool.Decode(c.args)
		if err != nil {
			return mcp.NewToolResultError(tools.Explain(err)), nil
		}
		c.in = in
		return next(ctx, c)
	}
}

// dispatch runs call-tool: the named tool goes through the same steps as
// a direct call (the gate, confirmation, argument checks), within the slot
// and under the credentials call-tool already holds.
func (s *Server) dispatch(ctx context.Context, c *toolCall) (*mcp.CallToolResult, error) {
	in, _ := c.in.Value().(discovery.CallInput)
	name := strings.ToLower(strings.TrimSpace(in.Name))
	target, ok := s.cfg.Surface.Tool(name)
	switch {
	case name == discovery.CallToolName:
		return mcp.NewToolResultError("call-tool runs other tools; give the name of the tool to run."), nil
	case !ok:
		if why, left := s.cfg.Surface.Left[name]; left {
			return mcp.NewToolResultError(fmt.Sprintf("%s is not served by this server: %s.", name, why)), nil
		}
		msg := fmt.Sprintf("There is no tool %q.", in.Name)
		if near := tools.Closest(name, s.cfg.Surface.Served, 3); len(near) > 0 {
			msg += " Closest: " + strings.Join(near, ", ") + "."
		}
		return mcp.NewToolResultError(msg + " find-tools searches by the words of a task."), nil
	}
	args := bytes.TrimSpace(in.Arguments)
	if len(args) == 0 || string(args) == "null" {
		args = []byte("{}")
	}
	if args[0] != '{' {
		return mcp.NewToolResultError(fmt.Sprintf("arguments must be a JSON object of %s's arguments (find-tools with its name shows them), not %s.", name, tools.Clip(string(args), 40))), nil
	}
	s.calls.setTarget(ctx, target.Name)
	sub := &toolCall{tool: target, req: c.req, creds: c.creds, args: json.RawMessage(args)}
	sub.req.Params.Name = target.Name
	sub.req.Params.Arguments = sub.args
	return s.dispatched(ctx, sub)
}

// execute runs the tool and renders its result.
func (s *Server) execute(ctx context.Context, c *toolCall) (*mcp.CallToolResult, error) {
	ctx = s.withClientLog(ctx, c.creds.APIKey)
	env := &tools.Env{
		Transport: s.cfg.Transport,
		Config:    s.cfg.ToolConfig,
		Session:   &gate{s: s, ctx: ctx},
		Surface:   s.cfg.Surface,
		Progress:  s.progress(ctx, c.req),
	}
	if c.creds.Complete() {
		env.Client = s.cfg.Transport.Client(c.creds.ProjectURL, c.creds.APIKey).Budgeted(tools.AnswerBudget(s.cfg.ToolConfig.MaxResultBytes))
		if s.cfg.ToolConfig.Remote {
			env.FilesTenant = tools.FilesDir(c.creds)
		}
	}
	result, err := c.tool.Run(ctx, env, c.in)
	if err != nil {
		var ue *tools.UserError
		if !errors.As(err, &ue) {
			s.log.Warn("tool failed", "tool", c.tool.Name, "error", credentials.RedactKeys(redact(err.Error(), c.creds.APIKey), c.creds.APIKey))
		}
		return mcp.NewToolResultError(s.guide(tools.Explain(err))), nil
	}
	if result == nil {
		return mcp.NewToolResultError("Internal error: " + c.tool.Name + " returned nothing."), nil
	}
	if !c.tool.Discovery { // find-tools names tools and says how to run them itself
		result.Summary = s.guide(result.Summary)
	}
	if note := env.Client.CutNote(); note != "" {
		result.Summary = strings.TrimSpace(result.Summary + " " + note)
	}
	r := result.Render(s.cfg.ToolConfig.MaxResultBytes)
	if r.Truncated {
		clientlog.Logf(ctx, clientlog.Notice, "The result of %s was cut to fit --max-result-bytes (%d bytes); the result says what was left out.", c.tool.Name, s.cfg.ToolConfig.MaxResultBytes)
	}
	if r.Structured != nil {
		return mcp.NewToolResultStructured(r.Structured, r.Text), nil
	}
	return mcp.NewToolResultText(r.Text), nil
}
