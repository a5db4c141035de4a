// Package spanattr holds the attribute keys of a tool span, each defined
// once, and reads them back. Where the OpenTelemetry GenAI semantic
// conventions define a key it is used; the rest live under "toolaudit.".
package spanattr

import "go.opentelemetry.io/otel/attribute"

// Attribute keys of a tool span. Where the OpenTelemetry GenAI semantic
// conventions define a key it is used; the rest live under the "toolaudit."
// prefix.
const (
	// KeyOperationName is gen_ai.operation.name; tool spans carry OperationExecuteTool.
	KeyOperationName = attribute.Key("gen_ai.operation.name")
	// KeyToolName is gen_ai.tool.name, the name of the tool.
	KeyToolName = attribute.Key("gen_ai.tool.name")
	// KeyToolCallID is gen_ai.tool.call.id, the model's id for the call, when known.
	KeyToolCallID = attribute.Key("gen_ai.tool.call.id")
	// KeyToolCallArguments is gen_ai.tool.call.arguments: the truncated
	// arguments as a JSON object string.
	KeyToolCallArguments = attribute.Key("gen_ai.tool.call.arguments")
	// KeyToolCallResult is gen_ai.tool.call.result: the result snippet.
	KeyToolCallResult = attribute.Key("gen_ai.tool.call.result")
	// KeyProviderName is gen_ai.provider.name: the engine of the run.
	KeyProviderName = attribute.Key("gen_ai.provider.name")
	// KeyRequestModel is gen_ai.request.model: the model of the run.
	KeyRequestModel = attribute.Key("gen_ai.request.model")
	// KeyEndUserID is enduser.id: the user on whose behalf the tool ran.
	KeyEndUserID = attribute.Key("enduser.id")
	// KeyErrorType is error.type, set when the call did not succeed.
	KeyErrorType = attribute.Key("error.type")

	// KeyStatus is toolaudit.status: "ok", "error" or "denied".
	KeyStatus = attribute.Key("toolaudit.status")
	// KeyResultChars is toolaudit.result_chars: the full length of the
	// result in Unicode code points.
	KeyResultChars = attribute.Key("toolaudit.result_chars")
)

// OperationExecuteTool is the value of KeyOperationName on tool spans.
const OperationExecuteTool = "execute_tool"

// SpanNamePrefix starts the name of every tool span: "execute_tool {tool}".
const SpanNamePrefix = OperationExecuteTool + " "

// IsToolSpan reports whether attrs mark a tool span, that is whether
// gen_ai.operation.name is execute_tool.
func IsToolSpan(attrs []attribute.KeyValue) bool {
	for _, kv := range attrs {
		if kv.Key == KeyOperationName {
			return kv.Value.AsString() == OperationExecuteTool
		}
	}
	return false
}

// ToolCall is what the attributes of a tool span say of the call.
type ToolCall struct {
	Tool        string // gen_ai.tool.name
	CallID      string // gen_ai.tool.call.id
	Arguments   string // gen_ai.tool.call.arguments
	Result      string // gen_ai.tool.call.result
	Engine      string // gen_ai.provider.name
	Model       string // gen_ai.request.model
	User        string // enduser.id
	Status      string // toolaudit.status
	ResultChars int64  // toolaudit.result_chars
}

// Read reads the attributes of a tool span; missing ones stay zero.
func Read(attrs []attribute.KeyValue) ToolCall {
	var c ToolCall
	for i := range attrs {
		kv := &attrs[i]
		// By length first: one string comparison per attribute at most.
		switch k := kv.Key; len(k) {
		case len(KeyToolName): // and KeyStatus
			if k == KeyToolName {
				c.Tool = kv.Value.AsString()
			} else if k == KeyStatus {
				c.Status = kv.Value.AsString()
			}
		case len(KeyToolCallID):
			if k == KeyToolCallID {
				c.CallID = kv.Value.AsString()
			}
		case len(KeyToolCallArguments):
			if k == KeyToolCallArguments {
				c.Arguments = kv.Value.AsString()
			}
		case len(KeyToolCallResult):
			if k == KeyToolCallResult {
				c.Result = kv.Value.AsString()
			}
		case len(KeyProviderName): // and KeyRequestModel
			if k == KeyProviderName {
				c.Engine = kv.Value.AsString()
			} else if k == KeyRequestModel {
				c.Model = kv.Value.AsString()
			}
		case len(KeyEndUserID):
			if k == KeyEndUserID {
				c.User = kv.Value.AsString()
			}
		case len(KeyResultChars):
			if k == KeyResultChars {
				c.ResultChars = kv.Value.AsInt64()
			}
		}
	}
	return c
}
