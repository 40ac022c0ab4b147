using System.Globalization;
using System.Text;

namespace Course.Runner.Cli;

/// <summary>Makes untrusted text safe to print on a terminal: control characters, escape sequences and bidirectional overrides are shown as \x1b-style escapes.</summary>
public static class PrintableText
{
    /// <summary>The text with every C0/C1 control character, DEL, backslash and bidi control written as an escape (\n, \t, \x1b, \u202e, \\).</summary>
    public static string Escape(string text)
    {
        var builder = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            switch (c)
            {
                case '\\':
                    builder.Append(@"\\");
                    break;
                case '\n':
                    builder.Append(@"\n");
                    break;
                case '\r':
                    builder.Append(@"\r");
                    break;
                case '\t':
                    builder.Append(@"\t");
                    break;
                case < ' ' or '\x7f' or (>= '\x80' and <= '\x9f'):
                    builder.Append(@"\x").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture));
                    break;
                case (>= '\u202a' and <= '\u202e') or (>= '\u2066' and <= '\u2069') or '\u200e' or '\u200f' or '\u061c':
                    // Bidirectional controls can make a line read differently from what it is.
                    builder.Append(@"\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    break;
                default:
                    builder.Append(c);
                    break;
            }
        }

        return builder.ToString();
    }

    /// <summary>Multi-line text with each line escaped as <see cref="Escape"/> does and the line breaks kept.</summary>
    public static string EscapeLines(string text) =>
        string.Join(Environment.NewLine, text.Split('\n').Select(line => Escape(line.TrimEnd('\r'))));
}
