package insforge

import (
	"context"
	"net/url"
)

// The methods in this file are the client's old surface, kept only while
// the toolsets move to Call. They are removed when no caller is left.

// Decode unmarshals the body read by Do into v, keeping numbers exact.
func (r *Response) Decode(v any) error {
	return DecodeBytes(r.Body, v)
}

// JSON returns the body read by Do as a generic JSON value.
func (r *Response) JSON() (any, error) {
	var v any
	err := r.Decode(&v)
	return v, err
}

// DecodeBytes decodes a JSON document as Call does.
func DecodeBytes(data []byte, v any) error {
	return decodeInto(&v, data)
}

// Do sends req and returns the body. Deprecated: use Call.
func (c *Client) Do(ctx context.Context, req Request) (*Response, error) {
	body, resp, err := Call[[]byte](ctx, c, req)
	if resp != nil {
		resp.Body = body
	}
	return resp, err
}

// Get sends a GET and decodes the answer into out. Deprecated: use Call.
func (c *Client) Get(ctx context.Context, path string, query url.Values, out any) error {
	resp, err := c.Do(ctx, Request{Path: path, Query: query})
	if err != nil || out == nil {
		return err
	}
	return resp.Decode(out)
}

// Send sends method with a JSON body and decodes the answer into out.
// Deprecated: use Call.
func (c *Client) Send(ctx context.Context, method, path string, body, out any) error {
	resp, err := c.Do(ctx, Request{Method: method, Path: path, Body: body})
	if err != nil || out == nil {
		return err
	}
	return resp.Decode(out)
}
