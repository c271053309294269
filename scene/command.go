package scene

import "strconv"

// Command is the low three bits of byte 0 of every SceneMultiplayer message
// (Godot's SceneMultiplayer::NetworkCommands). The high four bits are flags of
// the command; bit 3 is unused.
type Command uint8

// The commands, with Godot's values.
const (
	CommandRemoteCall   Command = 0 // NETWORK_COMMAND_REMOTE_CALL: an RPC
	CommandSimplifyPath Command = 1 // NETWORK_COMMAND_SIMPLIFY_PATH: node path → cache id
	CommandConfirmPath  Command = 2 // NETWORK_COMMAND_CONFIRM_PATH: cache id acknowledged
	CommandRaw          Command = 3 // NETWORK_COMMAND_RAW: send_bytes
	CommandSpawn        Command = 4 // NETWORK_COMMAND_SPAWN
	CommandDespawn      Command = 5 // NETWORK_COMMAND_DESPAWN
	CommandSync         Command = 6 // NETWORK_COMMAND_SYNC (delta with flag bit 4)
	CommandSys          Command = 7 // NETWORK_COMMAND_SYS: auth, peer list, relay
)

// noCommand marks errors about a packet whose command is not known yet.
const noCommand Command = 0xff

// CommandMask is Godot's CMD_MASK: the bits of byte 0 that hold the command.
const CommandMask = 0x07

var commandNames = [8]string{"REMOTE_CALL", "SIMPLIFY_PATH", "CONFIRM_PATH", "RAW", "SPAWN", "DESPAWN", "SYNC", "SYS"}

// String returns Godot's name without the NETWORK_COMMAND_ prefix.
func (c Command) String() string {
	if int(c) < len(commandNames) {
		return commandNames[c]
	}
	if c == noCommand {
		return "packet"
	}
	return "Command(" + strconv.Itoa(int(c)) + ")"
}

// PacketCommand returns the command of packet p as a Godot receiver reads it:
// byte 0 masked with CommandMask. An empty packet is an error.
func PacketCommand(p []byte) (Command, error) {
	if len(p) == 0 {
		return 0, invalid(noCommand, 0, "empty packet")
	}
	return Command(p[0] & CommandMask), nil
}
