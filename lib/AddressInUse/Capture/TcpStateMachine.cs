namespace AddressInUse.Capture;

/// <summary>One end's state from a moment on, and what moved it there.</summary>
/// <param name="State">The state's canonical name ("FIN_WAIT_1"…).</param>
/// <param name="AtUs">µs since the trace's origin.</param>
/// <param name="Cause">The index of the segment that caused it, or -1 when one of the program's actions (or the start) did.</param>
/// <param name="Because">Why, in a few words ("sent FIN", "received ACK of its FIN", "shutdown()").</param>
public sealed record StateChange(string State, double AtUs, int Cause, string Because);

/// <summary>
/// Each end's TCP states, derived from the captured segments and the program's actions with the state diagram of
/// RFC 9293 §3.3.2, as Linux applies it: close() and shutdown() move the state at the call (tcp_close_state), even when the
/// FIN still waits behind data; every other transition is stamped at the segment that caused it.
/// </summary>
/// <remarks>
/// A derivation, not a reading: the experiments that draw it also read the kernel's table at their end and report whether it
/// agrees. A segment marked dropped was sent but never received; an injected one is received but was never sent by the end it names.
/// </remarks>
public static class TcpStateMachine
{
    /// <summary>The state changes of one end ("client" or "server"), first to last.</summary>
    /// <param name="trace">The captured connection.</param>
    /// <param name="end">"client" or "server".</param>
    /// <param name="rfc1337">Whether a RST that reaches TIME_WAIT is ignored (Linux's tcp_rfc1337=1) rather than ending it.</param>
    /// <param name="timeWaitSkipped">
    /// Whether the kernel counted a TIME_WAIT overflow in this run (TcpExtTCPTimeWaitOverflow rose): tcp_time_wait found no bucket
    /// and ran tcp_done at once, so where the diagram would enter TIME_WAIT the end is <see cref="ClosedTimeWaitSkipped"/> instead.
    /// </param>
    public static IReadOnlyList<StateChange> Infer(PacketTrace trace, string end, bool rfc1337 = false, bool timeWaitSkipped = false)
    {
        var changes = new List<StateChange> { new(end == "server" ? "LISTEN" : "CLOSED", 0, -1, end == "server" ? "listen()" : "socket()") };
        var state = changes[0].State;
        long? myFinEnd = null; // the ack number that acknowledges this end's FIN
        void Move(string to, double at, int cause, string because)
        {
            if (to == "TIME_WAIT" && timeWaitSkipped)
            {
                (to, because) = (ClosedTimeWaitSkipped, $"{because}; no TIME_WAIT: tcp_max_tw_buckets overflow counted");
            }
            if (to == "CLOSED" && state == ClosedTimeWaitSkipped)
            {
                return; // already closed: a RST it sends from no socket changes nothing
            }
            if (to != state)
            {
                state = to;
                changes.Add(new StateChange(to, at, cause, because));
            }
        }
        // Actions first at equal times: the call happens before the segment it causes.
        var steps = trace.Actions.Where(a => a.Side == end).Select(a => (At: a.AtUs, Order: 0, Action: (TracedAction?)a, Index: -1))
            .Concat(trace.Segments.Select((s, i) => (At: s.AtUs, Order: 1, Action: (TracedAction?)null, Index: i)))
            .OrderBy(x => x.At).ThenBy(x => x.Order).ToList();
        foreach (var step in steps)
        {
            if (step.Action is { } action)
            {
                if (action.Kind is "shutdown" or "close" or "kill" && state is "ESTABLISHED" or "SYN_RECEIVED" or "CLOSE_WAIT")
                {
                    // close() with unread data or SO_LINGER {on, 0} sends a RST instead of a FIN: the RST then moves the state.
                    var next = trace.Segments.FirstOrDefault(s => s.From == end && !s.Injected && s.AtUs >= action.AtUs);
                    if (next is null || !next.Has("RST"))
                    {
                        Move(state == "CLOSE_WAIT" ? "LAST_ACK" : "FIN_WAIT_1", action.AtUs, -1, $"{action.Kind}()");
                    }
                }
                continue;
            }
            var i = step.Index;
            var s = trace.Segments[i];
            if (s.From == end && !s.Injected)
            {
                if (s.Has("RST"))
                {
                    Move("CLOSED", s.AtUs, i, "sent RST");
                }
                else if (s.Has("SYN") && !s.Has("ACK"))
                {
                    myFinEnd = null;
                    Move("SYN_SENT", s.AtUs, i, "sent SYN");
                }
                else if (s.Has("FIN"))
                {
                    myFinEnd ??= s.Seq + s.Length + 1;
                    Move(state switch { "CLOSE_WAIT" => "LAST_ACK", "SYN_RECEIVED" or "ESTABLISHED" => "FIN_WAIT_1", _ => state }, s.AtUs, i, "sent FIN");
                }
                continue;
            }
            if (s.From == end || s.Dropped)
            {
                continue; // an injected segment in this end's name, or a segment this end never received
            }
            var acksMyFin = myFinEnd is { } f && s.Has("ACK") && s.Ack >= f;
            if (s.Has("RST"))
            {
                if (!(state == "TIME_WAIT" && rfc1337) && state is not ("CLOSED" or "LISTEN"))
                {
                    Move("CLOSED", s.AtUs, i, state == "TIME_WAIT" ? "received RST (tcp_rfc1337=0)" : "received RST");
                }
                continue;
            }
            if (s.Has("SYN") && !s.Has("ACK"))
            {
                if (state is "LISTEN" or "TIME_WAIT")
                {
                    myFinEnd = null;
                    Move("SYN_RECEIVED", s.AtUs, i, state == "TIME_WAIT" ? "received SYN: TIME_WAIT recycled" : "received SYN");
                }
                continue;
            }
            if (s.Has("SYN") && state == "SYN_SENT")
            {
                Move("ESTABLISHED", s.AtUs, i, "received SYN,ACK");
                continue;
            }
            if (state == "SYN_RECEIVED" && s.Has("ACK"))
            {
                Move("ESTABLISHED", s.AtUs, i, "received ACK of its SYN");
            }
            if (s.Has("FIN"))
            {
                switch (state)
                {
                    case "ESTABLISHED":
                        Move("CLOSE_WAIT", s.AtUs, i, "received FIN");
                        break;
                    case "FIN_WAIT_1":
                        Move(acksMyFin ? "TIME_WAIT" : "CLOSING", s.AtUs, i, acksMyFin ? "received FIN with the ACK of its own" : "received FIN before the ACK of its own");
                        break;
                    case "FIN_WAIT_2":
                        Move("TIME_WAIT", s.AtUs, i, "received FIN");
                        break;
                    case "CLOSING" when acksMyFin:
                        Move("TIME_WAIT", s.AtUs, i, "received ACK of its FIN");
                        break;
                }
                continue;
            }
            if (acksMyFin)
            {
                switch (state)
                {
                    case "FIN_WAIT_1":
                        Move("FIN_WAIT_2", s.AtUs, i, "received ACK of its FIN");
                        break;
                    case "CLOSING":
                        Move("TIME_WAIT", s.AtUs, i, "received ACK of its FIN");
                        break;
                    case "LAST_ACK":
                        Move("CLOSED", s.AtUs, i, "received ACK of its FIN");
                        break;
                }
            }
        }
        return changes;
    }

    /// <summary>The state of an end whose TIME_WAIT the kernel skipped (no bucket left: tcp_max_tw_buckets), drawn and compared as CLOSED.</summary>
    public const string ClosedTimeWaitSkipped = "CLOSED (TIME_WAIT skipped)";

    /// <summary>The kernel's name for a derived state: "CLOSED (TIME_WAIT skipped)" is CLOSED in the kernel's table.</summary>
    public static string KernelName(string state) => state == ClosedTimeWaitSkipped ? "CLOSED" : state;

    /// <summary>The last derived state of one end.</summary>
    public static string FinalState(PacketTrace trace, string end, bool rfc1337 = false, bool timeWaitSkipped = false) => Infer(trace, end, rfc1337, timeWaitSkipped)[^1].State;
}
