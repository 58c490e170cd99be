/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file rpc.h
 * JSON-RPC methods with declarative parameters, shared by the JSON-RPC server
 * and the JSON config loader.
 *
 * A method is a name, a table of parameter descriptors and a handler. One
 * decoder turns the request's jansson `params` object into the handler's
 * parameter struct, rejecting missing required parameters, wrongly typed
 * values and unknown names with JSON-RPC error -32602 (SIO_RPC_ERROR_INVALID_PARAMS)
 * and a message naming the method and the parameter. The very same method
 * runs for a `{"method":...,"params":...}` entry of a JSON config file and for
 * a request on the RPC socket.
 *
 * Methods are registered by table. Layers and modules get their tables into
 * the library through the generated registry (see docs/app.md, two lines of
 * meson); an application can add its own with sio_rpc_register_table() before
 * sio_app_run().
 *
 * A handler may complete its request at once or later (after an asynchronous
 * operation): it owns the request until it calls exactly one of
 * sio_rpc_request_complete(), sio_rpc_request_error() or
 * sio_rpc_request_fail_errno().
 */
#ifndef SPDK_IO_RPC_H
#define SPDK_IO_RPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#ifdef __cplusplus
extern "C" {
#endif

/* JSON-RPC 2.0 error codes, as SPDK uses them. */
#define SIO_RPC_ERROR_PARSE_ERROR -32700      /**< the bytes are not JSON */
#define SIO_RPC_ERROR_INVALID_REQUEST -32600  /**< JSON, but not a valid request object */
#define SIO_RPC_ERROR_METHOD_NOT_FOUND -32601 /**< no method of that name */
#define SIO_RPC_ERROR_INVALID_PARAMS -32602   /**< missing, unknown or mistyped params */
#define SIO_RPC_ERROR_INTERNAL_ERROR -32603   /**< the handler failed for a reason of its own */
#define SIO_RPC_ERROR_INVALID_STATE -1        /**< method not allowed in the current state */

/* States a method may run in (sio_rpc_method.state_mask). */
#define SIO_RPC_STARTUP 0x1u /**< before subsystems are initialised (--wait-for-rpc, config pass 1) */
#define SIO_RPC_RUNTIME 0x2u /**< once subsystems are initialised */

/** Type of a parameter; the names match SPDK's schema ("string", "uint32", ...). */
enum sio_rpc_type {
	SIO_RPC_STRING,  /**< const char * borrowed from the request, valid until it completes */
	SIO_RPC_BOOL,    /**< bool; schema "boolean" */
	SIO_RPC_INT32,   /**< int32_t */
	SIO_RPC_INT64,   /**< int64_t */
	SIO_RPC_UINT8,   /**< uint8_t */
	SIO_RPC_UINT16,  /**< uint16_t */
	SIO_RPC_UINT32,  /**< uint32_t */
	SIO_RPC_UINT64,  /**< uint64_t */
	SIO_RPC_NUMBER,  /**< double: any JSON number */
	SIO_RPC_UUID,    /**< const char * (borrowed), checked to be a UUID in 8-4-4-4-12 hex form */
	SIO_RPC_ENUM,    /**< const char * (borrowed), one of sio_rpc_param.enum_values */
	SIO_RPC_OBJECT,  /**< json_t * (borrowed) of a JSON object, or the custom decoder's output */
	SIO_RPC_ARRAY,   /**< json_t * (borrowed) of a JSON array, or the custom decoder's output */
};

/**
 * A custom decoder for one parameter: turn @val into the field at @out.
 * Return 0, or a negative errno (reported as -32602 naming the parameter; fill
 * @msg, @msg_len bytes, to say more).
 */
typedef int (*sio_rpc_decode_fn)(const json_t *val, void *out, char *msg, size_t msg_len);

/** Descriptor of one parameter of a method. */
struct sio_rpc_param {
	const char *name;              /**< JSON key */
	enum sio_rpc_type type;        /**< its JSON type, as the schema states it */
	bool required;                 /**< absent means -32602 */
	size_t offset;                 /**< offsetof() the field in the handler's param struct */
	const char *class_name;        /**< schema "class" of an enum/object/array, or NULL */
	const char *const *enum_values;/**< SIO_RPC_ENUM: NULL-terminated allowed strings */
	sio_rpc_decode_fn decode;      /**< optional: replaces the built-in decoding */
};

/** Describe field @field of struct @stype as parameter @pname of type @ptype. */
#define SIO_RPC_PARAM(pname, ptype, req, stype, field) \
	{ .name = (pname), .type = (ptype), .required = (req), .offset = offsetof(stype, field) }

struct sio_rpc_request;

/**
 * A method handler. @params is the decoded param struct (zeroed, then filled
 * by sio_rpc_method.params_init, then by the request), owned by the request.
 * The handler must eventually complete @req exactly once, now or later.
 */
typedef void (*sio_rpc_handler_fn)(struct sio_rpc_request *req, void *params);

/** A method. */
struct sio_rpc_method {
	const char *name;                   /**< SPDK's method name where one exists */
	sio_rpc_handler_fn handler;
	const struct sio_rpc_param *params; /**< may be NULL when param_count is 0 */
	size_t param_count;
	size_t params_size;                 /**< sizeof the param struct (0: none) */
	void (*params_init)(void *params);  /**< optional: set defaults of optional params */
	uint32_t state_mask;                /**< SIO_RPC_STARTUP and/or SIO_RPC_RUNTIME */
};

/** A table of methods, the unit of registration. */
struct sio_rpc_method_table {
	const struct sio_rpc_method *methods;
	size_t count;
};

/** Number of elements of a true array. */
#define SIO_RPC_COUNT(a) (sizeof(a) / sizeof((a)[0]))

/**
 * sio_rpc_register_table() - Register an application's own methods.
 * @table: must stay valid until the process ends (static storage).
 *
 * The library's own tables (generated registry) are registered at
 * sio_app_run(); this adds more for the application.
 * Context: any OS thread, while no app is running.
 * Return: 0; -EINVAL for a NULL table, a method without name/handler/state or
 * with params_size 0 but parameters; -EEXIST if a name is already registered
 * (nothing of @table is registered then); -EBUSY while an app runs; -ENOMEM.
 */
int sio_rpc_register_table(const struct sio_rpc_method_table *table);

/**
 * sio_rpc_find_method() - Look up a registered method (the generated registry
 * and sio_rpc_register_table() tables).
 * Context: any thread. Return: the method, or NULL.
 */
const struct sio_rpc_method *sio_rpc_find_method(const char *name);

/** Visitor for sio_rpc_foreach_method(). */
typedef void (*sio_rpc_method_visit_fn)(const struct sio_rpc_method *method, void *ctx);

/**
 * sio_rpc_foreach_method() - Visit every registered method, in name order,
 * with its parameter descriptors (used by the schema-compatibility test).
 * Context: any thread, while no table is being registered.
 */
void sio_rpc_foreach_method(sio_rpc_method_visit_fn fn, void *ctx);

/**
 * sio_rpc_type_name() - The schema name of @type ("string", "boolean",
 * "uint32", ...). Return: a static string; "invalid" for an unknown value.
 */
const char *sio_rpc_type_name(enum sio_rpc_type type);

/**
 * sio_rpc_decode_params() - Decode @params (a JSON object or NULL) for @method
 * into @out (params_size bytes, zeroed then params_init'ed here).
 * @msg: receives a message naming the method and the parameter on failure.
 *
 * Context: any thread. Strings and JSON values in @out are borrowed from @params.
 * Return: 0; -EINVAL (with @msg) for a missing required param, a value of
 * the wrong type or range, an unknown param, or @params not an object.
 */
int sio_rpc_decode_params(const struct sio_rpc_method *method, const json_t *params, void *out,
			  char *msg, size_t msg_len);

/* ------------------------------------------------------------------------ */
/* Requests                                                                 */
/* ------------------------------------------------------------------------ */

/**
 * sio_rpc_request_complete() - Reply to @req with @result.
 * @result: stolen (the request takes the reference); NULL replies `true`.
 *
 * Context: the thread the handler was called on (the app thread).
 * After this call @req and the param struct are gone.
 */
void sio_rpc_request_complete(struct sio_rpc_request *req, json_t *result);

/**
 * sio_rpc_request_error() - Reply to @req with a JSON-RPC error.
 * @code: a SIO_RPC_ERROR_* code, or a negative errno as SPDK handlers use.
 * @fmt: printf format of the message.
 * Context: as sio_rpc_request_complete().
 */
void sio_rpc_request_error(struct sio_rpc_request *req, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/**
 * sio_rpc_request_fail_errno() - Reply with error code @rc (a negative errno)
 * and strerror(-@rc) as message, as SPDK does for failed operations.
 * Context: as sio_rpc_request_complete().
 */
void sio_rpc_request_fail_errno(struct sio_rpc_request *req, int rc);

/** sio_rpc_request_method() - The method @req calls. Context: the handler's thread. */
const struct sio_rpc_method *sio_rpc_request_method(const struct sio_rpc_request *req);

/** sio_rpc_request_params_json() - The raw `params` value of @req (borrowed; may be NULL). Context: the handler's thread. */
const json_t *sio_rpc_request_params_json(const struct sio_rpc_request *req);

/** sio_rpc_request_from_config() - Whether @req comes from the JSON config (or sio_rpc_call()) rather than a client. */
bool sio_rpc_request_from_config(const struct sio_rpc_request *req);

/** Completion of sio_rpc_call(): @result (borrowed, NULL on error) or @code + @message. */
typedef void (*sio_rpc_call_cb)(void *cb_arg, int code, const char *message, json_t *result);

/**
 * sio_rpc_call() - Run method @name with @params in-process, as the config
 * loader does; @cb gets the outcome (on this thread, possibly before return).
 * @params: borrowed; NULL for none.
 *
 * Context: the app thread while the app runs.
 * Return: 0 (@cb will run); -ENOENT unknown method, -EINVAL bad params
 * (@cb not called for either); -ENOMEM.
 */
int sio_rpc_call(const char *name, json_t *params, sio_rpc_call_cb cb, void *cb_arg);

/* ------------------------------------------------------------------------ */
/* Config helpers                                                           */
/* ------------------------------------------------------------------------ */

/**
 * sio_rpc_config_append() - Append `{"method": @method, "params": @params}` to
 * @config, the array a subsystem's write_config callback fills.
 * @params: stolen; NULL means no "params" key.
 * Context: any thread. Return: 0; -EINVAL; -ENOMEM.
 */
int sio_rpc_config_append(json_t *config, const char *method, json_t *params);

#ifdef __cplusplus
}
#endif

#endif /* SPDK_IO_RPC_H */
