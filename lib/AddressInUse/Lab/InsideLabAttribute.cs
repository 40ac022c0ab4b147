using System.Reflection;
using System.Text.Json.Nodes;

namespace AddressInUse.Lab;

/// <summary>
/// Marks a static method as an experiment the lab's child runs inside its private namespace, under the name the caller
/// passes to <see cref="NetworkLab.RunAsync"/>. The method takes nothing, the caller's arguments (<see cref="JsonObject"/>)
/// and/or a <see cref="CancellationToken"/>, and returns a <see cref="JsonObject"/> or a task of one.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class InsideLabAttribute(string name) : Attribute
{
    /// <summary>The experiment's name, unique in the assembly.</summary>
    public string Name { get; } = name;
}

/// <summary>The table of lab experiments, found once from the <see cref="InsideLabAttribute"/> methods of an assembly, so that adding an experiment touches no side table.</summary>
public static class LabExperimentTable
{
    /// <summary>
    /// Every <see cref="InsideLabAttribute"/> method of <paramref name="assembly"/> by name; a repeated name or a method of
    /// another shape is an <see cref="InvalidOperationException"/> naming the method and the shape it must have.
    /// </summary>
    public static IReadOnlyDictionary<string, LabExperiment> Discover(Assembly assembly)
    {
        var table = new Dictionary<string, LabExperiment>(StringComparer.Ordinal);
        var owners = new Dictionary<string, string>(StringComparer.Ordinal);
        const BindingFlags statics = BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly;
        foreach (var method in assembly.GetTypes().SelectMany(t => t.GetMethods(statics)))
        {
            if (method.GetCustomAttribute<InsideLabAttribute>() is not { } attribute)
            {
                continue;
            }
            var where = $"{method.DeclaringType!.FullName}.{method.Name}";
            if (owners.TryGetValue(attribute.Name, out var other))
            {
                throw new InvalidOperationException($"Two lab experiments are called '{attribute.Name}': {other} and {where}. Fix: give one another name.");
            }
            owners[attribute.Name] = where;
            table[attribute.Name] = Adapt(method, where);
        }
        return table;
    }

    private static LabExperiment Adapt(MethodInfo method, string where)
    {
        var shape = $"Fix: {where} must be static, take only a JsonObject (the arguments) and/or a CancellationToken, and return JsonObject or Task<JsonObject>.";
        var parameters = method.GetParameters();
        if (parameters.Any(p => p.ParameterType != typeof(JsonObject) && p.ParameterType != typeof(CancellationToken))
            || (method.ReturnType != typeof(JsonObject) && method.ReturnType != typeof(Task<JsonObject>)))
        {
            throw new InvalidOperationException($"The lab experiment {where} has a shape the lab cannot call. {shape}");
        }
        return async arguments =>
        {
            // The child runs one experiment and ends with it, so no token ever cancels it from inside; its parent kills it.
            var values = parameters.Select(p => p.ParameterType == typeof(JsonObject) ? arguments : (object)CancellationToken.None).ToArray();
            var result = method.Invoke(null, BindingFlags.DoNotWrapExceptions, null, values, null);
            return result is Task<JsonObject> task ? await task.ConfigureAwait(false) : (JsonObject)result!;
        };
    }
}
