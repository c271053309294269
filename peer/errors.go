package peer

import (
	"net"

	"github.com/packetpeer/packetpeer/internal/godoterr"
)

// Error is one of Godot's Error enum values (core/error/error_list.h) as a Go
// error: Code() returns Godot's number (2 for ErrUnavailable) and Name() its
// constant name ("ERR_UNAVAILABLE"). The package-level sentinels are the only
// values, and package variant returns the same ones (variant.ErrInvalidData
// is peer.ErrInvalidData), so
//
//	errors.Is(err, peer.ErrInvalidData)
//
// holds for every error of this module that carries ERR_INVALID_DATA: an
// *OpError whose Code it is, a *variant.Error, a *scene.Error.
type Error = godoterr.Error

// Godot's error set. The numbering is Godot 4's and stable.
var (
	ErrFailed                  = godoterr.ErrFailed
	ErrUnavailable             = godoterr.ErrUnavailable
	ErrUnconfigured            = godoterr.ErrUnconfigured
	ErrUnauthorized            = godoterr.ErrUnauthorized
	ErrParameterRangeError     = godoterr.ErrParameterRangeError
	ErrOutOfMemory             = godoterr.ErrOutOfMemory
	ErrFileNotFound            = godoterr.ErrFileNotFound
	ErrFileBadDrive            = godoterr.ErrFileBadDrive
	ErrFileBadPath             = godoterr.ErrFileBadPath
	ErrFileNoPermission        = godoterr.ErrFileNoPermission
	ErrFileAlreadyInUse        = godoterr.ErrFileAlreadyInUse
	ErrFileCantOpen            = godoterr.ErrFileCantOpen
	ErrFileCantWrite           = godoterr.ErrFileCantWrite
	ErrFileCantRead            = godoterr.ErrFileCantRead
	ErrFileUnrecognized        = godoterr.ErrFileUnrecognized
	ErrFileCorrupt             = godoterr.ErrFileCorrupt
	ErrFileMissingDependencies = godoterr.ErrFileMissingDependencies
	ErrFileEOF                 = godoterr.ErrFileEOF
	ErrCantOpen                = godoterr.ErrCantOpen
	ErrCantCreate              = godoterr.ErrCantCreate
	ErrQueryFailed             = godoterr.ErrQueryFailed
	ErrAlreadyInUse            = godoterr.ErrAlreadyInUse
	ErrLocked                  = godoterr.ErrLocked
	ErrTimeout                 = godoterr.ErrTimeout
	ErrCantConnect             = godoterr.ErrCantConnect
	ErrCantResolve             = godoterr.ErrCantResolve
	ErrConnectionError         = godoterr.ErrConnectionError
	ErrCantAcquireResource     = godoterr.ErrCantAcquireResource
	ErrCantFork                = godoterr.ErrCantFork
	ErrInvalidData             = godoterr.ErrInvalidData
	ErrInvalidParameter        = godoterr.ErrInvalidParameter
	ErrAlreadyExists           = godoterr.ErrAlreadyExists
	ErrDoesNotExist            = godoterr.ErrDoesNotExist
	ErrDatabaseCantRead        = godoterr.ErrDatabaseCantRead
	ErrDatabaseCantWrite       = godoterr.ErrDatabaseCantWrite
	ErrCompilationFailed       = godoterr.ErrCompilationFailed
	ErrMethodNotFound          = godoterr.ErrMethodNotFound
	ErrLinkFailed              = godoterr.ErrLinkFailed
	ErrScriptFailed            = godoterr.ErrScriptFailed
	ErrCyclicLink              = godoterr.ErrCyclicLink
	ErrInvalidDeclaration      = godoterr.ErrInvalidDeclaration
	ErrDuplicateSymbol         = godoterr.ErrDuplicateSymbol
	ErrParseError              = godoterr.ErrParseError
	ErrBusy                    = godoterr.ErrBusy
	ErrSkip                    = godoterr.ErrSkip
	ErrHelp                    = godoterr.ErrHelp
	ErrBug                     = godoterr.ErrBug
	ErrPrinterOnFire           = godoterr.ErrPrinterOnFire
)

// ErrorFromCode returns the sentinel for a Godot error code, or nil for OK (0)
// and for codes Godot does not define.
func ErrorFromCode(code int) *Error { return godoterr.FromCode(code) }

// ErrClosed is returned, wrapped, by every call on a peer after Close. It is
// net.ErrClosed, so errors.Is(err, net.ErrClosed) works too.
var ErrClosed = net.ErrClosed
