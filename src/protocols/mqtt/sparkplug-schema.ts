/**
 * The Sparkplug B payload schema as a protobufjs JSON descriptor, transcribed from the
 * `sparkplug_b.proto` published in the Sparkplug 3.0 specification (chapter 6, "Google Protocol
 * Buffer Schema"; the same file as Eclipse Tahu's sparkplug_b/sparkplug_b.proto). A descriptor and
 * not the .proto text so that only protobufjs's light build (no parser) is loaded at run time.
 * test/protocols/mqtt/sparkplug-schema.test.ts checks it equals what protobufjs's own parser makes
 * of the specification's file (fixtures/sparkplug/sparkplug_b.proto).
 *
 * The schema:
 *   Copyright (c) 2015-2021 Cirrus Link Solutions and others
 *   This program and the accompanying materials are made available under the terms of the Eclipse
 *   Public License 2.0 which is available at http://www.eclipse.org/legal/epl-2.0.
 *   SPDX-License-Identifier: EPL-2.0
 */

const MAX = 536870911; // "to max": the largest field number protobuf allows
const extension = { fields: {}, extensions: [[1, MAX]] };
const opt = (type: string, id: number) => ({ type, id });
const rep = (type: string, id: number) => ({ rule: 'repeated', type, id });

/** The DataType enum: Sparkplug's datatype numbers. */
export const SPARKPLUG_DATATYPES = {
  Unknown: 0,
  Int8: 1,
  Int16: 2,
  Int32: 3,
  Int64: 4,
  UInt8: 5,
  UInt16: 6,
  UInt32: 7,
  UInt64: 8,
  Float: 9,
  Double: 10,
  Boolean: 11,
  String: 12,
  DateTime: 13,
  Text: 14,
  UUID: 15,
  DataSet: 16,
  Bytes: 17,
  File: 18,
  Template: 19,
  PropertySet: 20,
  PropertySetList: 21,
  Int8Array: 22,
  Int16Array: 23,
  Int32Array: 24,
  Int64Array: 25,
  UInt8Array: 26,
  UInt16Array: 27,
  UInt32Array: 28,
  UInt64Array: 29,
  FloatArray: 30,
  DoubleArray: 31,
  BooleanArray: 32,
  StringArray: 33,
  DateTimeArray: 34,
} as const;

export const SPARKPLUG_SCHEMA = {
  nested: {
    org: {
      nested: {
        eclipse: {
          nested: {
            tahu: {
              nested: {
                protobuf: {
                  options: { java_package: 'org.eclipse.tahu.protobuf', java_outer_classname: 'SparkplugBProto' },
                  nested: {
                    DataType: { edition: 'proto2', values: SPARKPLUG_DATATYPES },
                    Payload: {
                      edition: 'proto2',
                      fields: {
                        timestamp: opt('uint64', 1),
                        metrics: rep('Metric', 2),
                        seq: opt('uint64', 3),
                        uuid: opt('string', 4),
                        body: opt('bytes', 5),
                      },
                      extensions: [[6, MAX]],
                      nested: {
                        Template: {
                          fields: {
                            version: opt('string', 1),
                            metrics: rep('Metric', 2),
                            parameters: rep('Parameter', 3),
                            template_ref: opt('string', 4),
                            is_definition: opt('bool', 5),
                          },
                          extensions: [[6, MAX]],
                          nested: {
                            Parameter: {
                              oneofs: {
                                value: {
                                  oneof: [
                                    'int_value',
                                    'long_value',
                                    'float_value',
                                    'double_value',
                                    'boolean_value',
                                    'string_value',
                                    'extension_value',
                                  ],
                                },
                              },
                              fields: {
                                name: opt('string', 1),
                                type: opt('uint32', 2),
                                int_value: opt('uint32', 3),
                                long_value: opt('uint64', 4),
                                float_value: opt('float', 5),
                                double_value: opt('double', 6),
                                boolean_value: opt('bool', 7),
                                string_value: opt('string', 8),
                                extension_value: opt('ParameterValueExtension', 9),
                              },
                              nested: { ParameterValueExtension: extension },
                            },
                          },
                        },
                        DataSet: {
                          fields: {
                            num_of_columns: opt('uint64', 1),
                            columns: rep('string', 2),
                            types: rep('uint32', 3),
                            rows: rep('Row', 4),
                          },
                          extensions: [[5, MAX]],
                          nested: {
                            DataSetValue: {
                              oneofs: {
                                value: {
                                  oneof: [
                                    'int_value',
                                    'long_value',
                                    'float_value',
                                    'double_value',
                                    'boolean_value',
                                    'string_value',
                                    'extension_value',
                                  ],
                                },
                              },
                              fields: {
                                int_value: opt('uint32', 1),
                                long_value: opt('uint64', 2),
                                float_value: opt('float', 3),
                                double_value: opt('double', 4),
                                boolean_value: opt('bool', 5),
                                string_value: opt('string', 6),
                                extension_value: opt('DataSetValueExtension', 7),
                              },
                              nested: { DataSetValueExtension: extension },
                            },
                            Row: { fields: { elements: rep('DataSetValue', 1) }, extensions: [[2, MAX]] },
                          },
                        },
                        PropertyValue: {
                          oneofs: {
                            value: {
                              oneof: [
                                'int_value',
                                'long_value',
                                'float_value',
                                'double_value',
                                'boolean_value',
                                'string_value',
                                'propertyset_value',
                                'propertysets_value',
                                'extension_value',
                              ],
                            },
                          },
                          fields: {
                            type: opt('uint32', 1),
                            is_null: opt('bool', 2),
                            int_value: opt('uint32', 3),
                            long_value: opt('uint64', 4),
                            float_value: opt('float', 5),
                            double_value: opt('double', 6),
                            boolean_value: opt('bool', 7),
                            string_value: opt('string', 8),
                            propertyset_value: opt('PropertySet', 9),
                            propertysets_value: opt('PropertySetList', 10),
                            extension_value: opt('PropertyValueExtension', 11),
                          },
                          nested: { PropertyValueExtension: extension },
                        },
                        PropertySet: { fields: { keys: rep('string', 1), values: rep('PropertyValue', 2) }, extensions: [[3, MAX]] },
                        PropertySetList: { fields: { propertyset: rep('PropertySet', 1) }, extensions: [[2, MAX]] },
                        MetaData: {
                          fields: {
                            is_multi_part: opt('bool', 1),
                            content_type: opt('string', 2),
                            size: opt('uint64', 3),
                            seq: opt('uint64', 4),
                            file_name: opt('string', 5),
                            file_type: opt('string', 6),
                            md5: opt('string', 7),
                            description: opt('string', 8),
                          },
                          extensions: [[9, MAX]],
                        },
                        Metric: {
                          oneofs: {
                            value: {
                              oneof: [
                                'int_value',
                                'long_value',
                                'float_value',
                                'double_value',
                                'boolean_value',
                                'string_value',
                                'bytes_value',
                                'dataset_value',
                                'template_value',
                                'extension_value',
                              ],
                            },
                          },
                          fields: {
                            name: opt('string', 1),
                            alias: opt('uint64', 2),
                            timestamp: opt('uint64', 3),
                            datatype: opt('uint32', 4),
                            is_historical: opt('bool', 5),
                            is_transient: opt('bool', 6),
                            is_null: opt('bool', 7),
                            metadata: opt('MetaData', 8),
                            properties: opt('PropertySet', 9),
                            int_value: opt('uint32', 10),
                            long_value: opt('uint64', 11),
                            float_value: opt('float', 12),
                            double_value: opt('double', 13),
                            boolean_value: opt('bool', 14),
                            string_value: opt('string', 15),
                            bytes_value: opt('bytes', 16),
                            dataset_value: opt('DataSet', 17),
                            template_value: opt('Template', 18),
                            extension_value: opt('MetricValueExtension', 19),
                          },
                          nested: { MetricValueExtension: extension },
                        },
                      },
                    },
                  },
                },
              },
            },
          },
        },
      },
    },
  },
};
